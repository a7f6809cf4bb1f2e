package io.pushgate;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration;

/** Starts a pushgate node. With no configuration it runs alone on port 8080 with development secrets. */
@SpringBootApplication(exclude = ReactiveUserDetailsServiceAutoConfiguration.class)
public class PushgateApplication {

    public static void main(String[] args) {
        SpringApplication.run(PushgateApplication.class, args);
    }
}
