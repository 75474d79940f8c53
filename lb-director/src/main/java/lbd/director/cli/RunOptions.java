package lbd.director.cli;

import lbd.config.model.Transport;

/** Command-line overrides of the configuration's directives; null = take the configuration's value. */
public record RunOptions(Transport transport, Integer eventLoops) {
}
