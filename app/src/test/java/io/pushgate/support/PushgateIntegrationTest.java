package io.pushgate.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

/**
 * Starts the whole application on a random port with fixed test secrets. Test classes that need other
 * settings add them with {@code @TestPropertySource}; classes with the same settings share one server.
 * The server's backend API is there to inject: {@code @Autowired Api api}.
 *
 * <p>Reactor Netty's event loops stop without their 2 s quiet period: every cached context is closed when
 * the test JVM exits, each closing waited 2 s for tasks that never come, and past 30 s Surefire killed
 * its fork ("Surefire is going to kill self fork JVM").
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET,
        "pushgate.api.keys=" + TestSecrets.API_KEY,
        "pushgate.node.id=test",
        "spring.reactor.netty.shutdown-quiet-period=0s",
        "management.server.port=0" // a free one: test servers run side by side (@LocalManagementPort)
})
@Import(ApiFixture.class)
public @interface PushgateIntegrationTest {
}
