package io.pushgate.cli;

import java.io.PrintStream;
import java.util.List;

/** One command of the jar: {@code java -jar pushgate.jar <name> <args…>}. */
public interface Command {

    /** Exit status of a command given arguments it does not take; it has printed its usage. */
    int USAGE = 2;

    /** Exit status of a command that could not do its work (e.g. missing configuration). */
    int FAILED = 1;

    /** The word that selects it, the jar's first argument. */
    String name();

    /** One line for the list of commands. */
    String summary();

    /**
     * Runs the command. What it produces goes to {@code out}, alone, so that a shell can capture it;
     * messages for the person go to {@code err}.
     *
     * @param args the arguments after the command's name
     * @return the process exit status: 0, {@link #FAILED} or {@link #USAGE}
     */
    int run(List<String> args, PrintStream out, PrintStream err);
}
