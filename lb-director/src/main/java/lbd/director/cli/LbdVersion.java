package lbd.director.cli;

import picocli.CommandLine.IVersionProvider;

/** The version line of lbd and lbadm, also the first line of an lbadm listing. */
public final class LbdVersion implements IVersionProvider {

    public static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {"lbd " + VERSION + " (Java " + Runtime.version() + ")"};
    }
}
