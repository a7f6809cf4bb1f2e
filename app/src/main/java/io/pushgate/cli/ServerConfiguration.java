package io.pushgate.cli;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** The server's configuration as the server reads it, for commands, without starting any of the server. */
final class ServerConfiguration {

    private ServerConfiguration() {
    }

    /**
     * The server's configuration sources: the settings given ({@code --name=value}), Java system properties,
     * environment variables, then Spring Boot's config data ({@code application.properties} of the jar and
     * of the working directory, {@code spring.config.location} and {@code spring.config.import}, profiles).
     *
     * @param environmentVariables read instead of the process's when not null (for tests)
     */
    static ConfigurableEnvironment read(List<String> settings, @Nullable Map<String, Object> environmentVariables) {
        StandardEnvironment environment = new StandardEnvironment();
        if (environmentVariables != null) {
            environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                    new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environmentVariables));
        }
        if (!settings.isEmpty()) {
            environment.getPropertySources().addFirst(new SimpleCommandLinePropertySource(settings.toArray(String[]::new)));
        }
        ConfigDataEnvironmentPostProcessor.applyTo(environment);
        return environment;
    }
}
