package io.pushgate.config;

import io.pushgate.core.ConnectProxy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The connect proxy's settings: off unless a URL is set, and then a usable URL and a signing secret, or no start. */
class ConnectProxySettingsTests {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(PushgateProperties.class)
    static class Settings {
    }

    final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Settings.class);
    final JsonMapper mapper = JsonMapper.builder().build();

    @Test
    void withoutAUrlThereIsNoProxyAndTheDefaultsAreDocumented() {
        runner.run(context -> {
            PushgateProperties properties = context.getBean(PushgateProperties.class);
            assertThat(properties.auth().connectTimeout()).hasSeconds(5);
            assertThat(properties.auth().connectMaxInFlight()).isEqualTo(1000);
            assertThat(properties.auth().connectTtl()).isZero();
            assertThat(new PushgateConfig().connectProxy(properties, mapper)).isSameAs(ConnectProxy.NONE);
        });
    }

    @Test
    void aUrlWithoutTheEventsSecretStopsTheNodeNamingIt() {
        runner.withPropertyValues("pushgate.auth.connect-url=http://127.0.0.1:8000/connect").run(context -> {
            PushgateProperties properties = context.getBean(PushgateProperties.class);
            assertThatThrownBy(() -> new PushgateConfig().connectProxy(properties, mapper))
                    .hasMessageContaining("pushgate.events.secret");
        });
    }

    @Test
    void aUrlThatIsNotHttpIsRefusedByName() {
        runner.withPropertyValues("pushgate.auth.connect-url=ftp://127.0.0.1/connect",
                "pushgate.events.secret=0123456789abcdef").run(context -> {
            PushgateProperties properties = context.getBean(PushgateProperties.class);
            assertThatThrownBy(() -> new PushgateConfig().connectProxy(properties, mapper))
                    .hasMessageContaining("pushgate.auth.connect-url");
        });
    }

    @Test
    void aUrlAndASecretMakeAProxy() {
        runner.withPropertyValues("pushgate.auth.connect-url=https://backend.example/pushgate/connect",
                "pushgate.events.secret=0123456789abcdef").run(context -> {
            ConnectProxy proxy = new PushgateConfig().connectProxy(context.getBean(PushgateProperties.class), mapper);
            assertThat(proxy.enabled()).isTrue();
            ((AutoCloseable) proxy).close();
        });
    }
}
