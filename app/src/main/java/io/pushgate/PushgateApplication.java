package io.pushgate;

import java.util.OptionalInt;

import io.pushgate.cli.Commands;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration;

/**
 * Starts a pushgate node. With no configuration it runs alone on port 8080 with development secrets.
 * A first argument that is a word runs one of the jar's commands instead ({@link Commands}), e.g.
 * {@code java -jar pushgate.jar token --uid 42}, and exits with its status.
 */
@SpringBootApplication(exclude = ReactiveUserDetailsServiceAutoConfiguration.class)
public class PushgateApplication {

    public static void main(String[] args) {
        OptionalInt command = Commands.all().run(args, System.out, System.err);
        if (command.isPresent()) {
            System.exit(command.getAsInt());
        }
        SpringApplication.run(PushgateApplication.class, args);
    }
}
