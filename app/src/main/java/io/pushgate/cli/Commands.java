package io.pushgate.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * Chooses between the server and a command. A server's arguments are all options ({@code --name=value}),
 * so a first argument that is a word names a command; an unknown word is an error rather than a server
 * started with an argument it would ignore.
 */
public final class Commands {

    private final List<Command> commands;

    public Commands(List<Command> commands) {
        this.commands = List.copyOf(commands);
    }

    /** Every command of the jar. */
    public static Commands all() {
        return new Commands(List.of(new TokenCommand(), new StatusCommand()));
    }

    /**
     * Runs the command that {@code args} name.
     *
     * @return its exit status, or empty when {@code args} are the server's
     */
    public OptionalInt run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].startsWith("-")) {
            return OptionalInt.empty();
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        for (Command command : commands) {
            if (command.name().equals(args[0])) {
                return OptionalInt.of(command.run(rest, out, err));
            }
        }
        err.println("pushgate: unknown command '" + args[0] + "'");
        err.println("Usage: java -jar pushgate.jar [--setting=value …]     runs the server");
        for (Command command : commands) {
            err.printf("       java -jar pushgate.jar %-26s%s%n", command.name() + " …", command.summary());
        }
        return OptionalInt.of(Command.USAGE);
    }
}
