package io.pushgate.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * A command's arguments, read one way for every command: {@code --name value} or {@code --name=value}
 * for its options, {@code --flag} for its flags, and {@code --dotted.setting=value} passed on as a
 * setting the server's configuration takes. Anything else is refused with a message that says what.
 */
final class Arguments {

    /** Arguments the command does not take; the message says which. */
    static final class BadArguments extends Exception {
        BadArguments(String message) {
            super(message, null, false, false);
        }
    }

    private final Map<String, String> options;
    private final Set<String> flags;
    private final List<String> settings;

    private Arguments(Map<String, String> options, Set<String> flags, List<String> settings) {
        this.options = options;
        this.flags = flags;
        this.settings = settings;
    }

    /**
     * @param optionNames options that take a value, without their {@code --}
     * @param flagNames   options without a value, without their {@code --}
     */
    static Arguments parse(List<String> args, List<String> optionNames, Set<String> flagNames) throws BadArguments {
        Map<String, String> options = new HashMap<>();
        Set<String> flags = new HashSet<>();
        List<String> settings = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new BadArguments("unexpected argument '" + arg + "'");
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
            if (equals < 0 && flagNames.contains(name)) {
                flags.add(name);
                continue;
            }
            if (!optionNames.contains(name)) {
                if (name.contains(".") && equals > 0) { // a setting, as the server takes it: --pushgate.auth.jwt-secret=…
                    settings.add(arg);
                    continue;
                }
                throw new BadArguments("unknown option '--" + name + "'"
                        + (name.contains(".") ? " (settings take the form --" + name + "=value)" : ""));
            }
            String value;
            if (equals >= 0) {
                value = arg.substring(equals + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                throw new BadArguments("--" + name + " needs a value");
            }
            if (options.put(name, value) != null) {
                throw new BadArguments("--" + name + " is given twice");
            }
        }
        return new Arguments(options, flags, settings);
    }

    @Nullable String option(String name) {
        return options.get(name);
    }

    boolean has(String name) {
        return options.containsKey(name);
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    /** The {@code --dotted.setting=value} arguments, as given. */
    List<String> settings() {
        return settings;
    }
}
