package io.pushgate.cli;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pushgate.cli.Arguments.BadArguments;
import io.pushgate.config.PushgateProperties;
import io.pushgate.core.InvalidTokenException;
import io.pushgate.core.Names;
import io.pushgate.security.HmacTokens;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.convert.DurationStyle;

/**
 * {@code token --uid 42 [--groups a,b] [--publish a] [--ttl 1h] [--kid k]}: prints a client token signed
 * as the configured node expects it, for trying a node or a cluster by hand.
 *
 * <p>The signing key comes from the server's own configuration, read as the server reads it (environment,
 * {@code --pushgate.auth.jwt-secret=…} and other {@code --name=value} settings, {@code application.properties}
 * and {@code spring.config.*} files), and nothing else starts: no application context, web server or port.
 * The token is verified with the node's own verifier before it is printed, so a node with the same
 * configuration takes it. The token goes to standard output alone; no secret is ever printed, and the
 * token never reaches a log.
 */
public final class TokenCommand implements Command {

    static final Duration DEFAULT_TTL = Duration.ofHours(1);

    static final String USAGE_TEXT = """
            Usage: java -jar pushgate.jar token --uid <uid> [--groups a,b] [--publish a,b] [--ttl 1h] [--kid <id>]
                                                [--pushgate.auth.jwt-secret=…] [--<setting>=<value> …]
            Prints a client token signed with the configured secret (PUSHGATE_AUTH_JWT_SECRET or
            pushgate.auth.jwt-secret), or with the key pushgate.auth.jwt-keys.<id> when --kid is given.
              --uid      the user id (the token's sub)                        required
              --groups   groups the client is in                              (none)
              --publish  groups the client may publish to                      (none)
              --ttl      lifetime: 90s, 30m, 1h, 7d or ISO-8601 (PT1H)        1h
              --kid      id of the signing key, written in the token's header (none: pushgate.auth.jwt-secret)""";

    private static final List<String> OPTIONS = List.of("uid", "groups", "publish", "ttl", "kid");

    private final @Nullable Map<String, Object> environmentVariables;

    /** A command that reads the process's environment variables. */
    public TokenCommand() {
        this.environmentVariables = null;
    }

    /** A command that reads these environment variables instead of the process's (for tests). */
    TokenCommand(Map<String, Object> environmentVariables) {
        this.environmentVariables = Map.copyOf(environmentVariables);
    }

    @Override
    public String name() {
        return "token";
    }

    @Override
    public String summary() {
        return "prints a client token signed with the configured secret";
    }

    /** What the arguments ask for. */
    private record Request(String uid, List<String> groups, List<String> publish, Duration ttl, @Nullable String kid,
                           List<String> settings) {
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(USAGE_TEXT);
            return 0;
        }
        Request request;
        try {
            request = parse(args);
        } catch (BadArguments e) {
            err.println("pushgate token: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
        PushgateProperties.Auth auth;
        try {
            auth = Binder.get(ServerConfiguration.read(request.settings(), environmentVariables)).bindOrCreate("pushgate.auth", PushgateProperties.Auth.class);
        } catch (RuntimeException e) { // a setting that does not bind; its message names it
            err.println("pushgate token: the configuration cannot be read: " + e.getMessage());
            return FAILED;
        }
        boolean noSecret = auth.jwtSecret() == null || auth.jwtSecret().isBlank();
        if (request.kid() == null && noSecret) {
            err.println("pushgate token: no signing secret is configured. Set PUSHGATE_AUTH_JWT_SECRET (or pass"
                    + " --pushgate.auth.jwt-secret=…), the same as the node's; a generated one changes at every start.");
            return FAILED;
        }
        if (request.kid() != null && !auth.jwtKeys().containsKey(request.kid())) {
            err.println("pushgate token: no signing key has the id '" + request.kid() + "': set pushgate.auth.jwt-keys."
                    + request.kid() + " (PUSHGATE_AUTH_JWTKEYS_" + request.kid().toUpperCase(java.util.Locale.ROOT) + ")");
            return FAILED;
        }
        String token;
        try {
            // a token with kid is checked with that key only, so the default key need not be the node's
            HmacTokens tokens = new HmacTokens(noSecret ? unusedSecret() : auth.jwtSecret(), auth.jwtKeys(), auth.issuer(),
                    auth.audience());
            token = tokens.issue(request.kid(), request.uid(), request.ttl(), request.groups(), request.publish());
            tokens.verify(token);
        } catch (IllegalArgumentException | InvalidTokenException e) { // a key too short, say: the message names the setting
            err.println("pushgate token: " + e.getMessage());
            return FAILED;
        }
        out.println(token);
        err.println("Token for uid '" + request.uid() + "'" + (request.groups().isEmpty() ? "" : ", groups " + request.groups())
                + (request.publish().isEmpty() ? "" : ", may publish to " + request.publish())
                + ", signed with " + (request.kid() == null ? "pushgate.auth.jwt-secret" : "key '" + request.kid() + "'")
                + ", valid until " + Instant.now().plus(request.ttl()).truncatedTo(ChronoUnit.SECONDS) + ".");
        return 0;
    }

    private static Request parse(List<String> args) throws BadArguments {
        Arguments arguments = Arguments.parse(args, OPTIONS, Set.of());
        Map<String, String> options = new HashMap<>();
        for (String name : OPTIONS) {
            if (arguments.has(name)) {
                options.put(name, arguments.option(name));
            }
        }
        List<String> settings = arguments.settings();
        String uid = options.get("uid");
        if (uid == null) {
            throw new BadArguments("--uid is required");
        }
        if (!Names.isValid(uid)) {
            throw new BadArguments("--uid must be 1-" + Names.MAX_LENGTH + " characters, as uids are");
        }
        Duration ttl = DEFAULT_TTL;
        if (options.containsKey("ttl")) {
            try {
                ttl = DurationStyle.detectAndParse(options.get("ttl"));
            } catch (IllegalArgumentException e) {
                throw new BadArguments("--ttl '" + options.get("ttl") + "' is not a duration (90s, 30m, 1h, 7d, PT1H)");
            }
            if (ttl.isNegative() || ttl.isZero()) {
                throw new BadArguments("--ttl must be positive");
            }
        }
        String kid = options.get("kid");
        if (kid != null && kid.isBlank()) {
            throw new BadArguments("--kid needs a key id");
        }
        return new Request(uid, groups(options.get("groups"), "--groups"), groups(options.get("publish"), "--publish"), ttl, kid,
                settings);
    }

    private static List<String> groups(@Nullable String list, String option) throws BadArguments {
        List<String> groups = new ArrayList<>();
        if (list == null) {
            return groups;
        }
        for (String group : list.split(",")) {
            String name = group.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!Names.isValid(name)) {
                throw new BadArguments(option + " holds an invalid group name '" + name + "'");
            }
            if (!groups.contains(name)) {
                groups.add(name);
            }
        }
        return groups;
    }

    /** The verifier needs a default key; with {@code --kid} it is never used, and never printed. */
    private static String unusedSecret() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }
}
