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
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET,
        "pushgate.api.keys=" + TestSecrets.API_KEY,
        "pushgate.node.id=test"
})
@Import(ApiFixture.class)
public @interface PushgateIntegrationTest {
}
