package io.pushgate.support;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;

/**
 * The {@link Api} of the running test server, for {@code @Autowired Api api} in a
 * {@link PushgateIntegrationTest}. Lazy, because the port is known only once the server has started,
 * after the context's singletons are made.
 */
@TestConfiguration(proxyBeanMethods = false)
class ApiFixture {

    @Bean
    @Lazy
    Api api(@Value("${local.server.port}") int port) {
        return new Api(port);
    }
}
