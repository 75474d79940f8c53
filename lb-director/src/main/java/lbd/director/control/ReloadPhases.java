package lbd.director.control;

/**
 * What a reload tells the service manager around itself (systemd: {@code RELOADING=1}, then {@code READY=1}),
 * whatever the reload's outcome. Called on the reload thread.
 */
public interface ReloadPhases {

    ReloadPhases NONE = new ReloadPhases() {
        @Override
        public void reloading() {
        }

        @Override
        public void reloaded() {
        }
    };

    /** Before the file is read. */
    void reloading();

    /** After it was applied or rejected. */
    void reloaded();
}
