package io.pushgate.config;

import java.time.Duration;

import io.pushgate.broker.redis.RedisSettings;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A history setting (in memory or in Redis) that would keep nothing stops the node at start-up, naming the setting. */
class HistorySettingsTests {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(PushgateProperties.class)
    static class Settings {
    }

    final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Settings.class);

    @Test
    void theDefaultsBindWithTheirDocumentedValues() {
        runner.run(context -> {
            PushgateProperties.History history = context.getBean(PushgateProperties.class).history();
            assertThat(history.maxMessages()).isEqualTo(1000);
            assertThat(history.maxTotalMessages()).isEqualTo(200_000);
            assertThat(history.maxHeldMessages()).isEqualTo(100_000);
        });
    }

    @Test
    void aNonPositiveCapOrWindowIsRefusedByName() {
        for (String setting : new String[] {"pushgate.history.max-held-messages=0", "pushgate.history.max-total-messages=-1",
                "pushgate.history.max-messages=0", "pushgate.history.window=0s"}) {
            runner.withPropertyValues(setting).run(context -> {
                assertThat(context).hasFailed();
                Throwable cause = context.getStartupFailure();
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                assertThat(cause).hasMessageContaining(setting.substring(0, setting.indexOf('=')));
            });
        }
    }

    @Test
    void aRedisLogOfNoEntriesIsRefusedByName() {
        assertThatThrownBy(() -> new RedisSettings("p", Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pushgate.redis.log-length");
    }
}
