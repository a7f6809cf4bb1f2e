package io.pushgate.config;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

import io.pushgate.support.TestSecrets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A zero-configuration start (generated secrets: an open API whose key is printed on the console)
 * listens on loopback only, so it is reachable from this machine and nowhere else, and says so.
 * Configured secrets, or an explicit {@code server.address}, keep the usual bind on every interface.
 */
class DevelopmentBindTests {

    /**
     * Records the address the server really bound, as the operating system reports it. A factory
     * customizer, which stays with this context: Actuator's management server, in a child context, would
     * take a {@code NettyServerCustomizer} bean too and record its own loopback address.
     */
    @TestConfiguration(proxyBeanMethods = false)
    static class BoundAddress {

        final AtomicReference<SocketAddress> bound = new AtomicReference<>();

        @Bean
        WebServerFactoryCustomizer<NettyReactiveWebServerFactory> recordBoundAddress() {
            return factory -> factory.addServerCustomizers(server -> server.doOnBound(disposable -> bound.set(disposable.address())));
        }
    }

    @Nested
    @ExtendWith(OutputCaptureExtension.class)
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = {
            io.pushgate.PushgateApplication.class, BoundAddress.class},
            properties = {"spring.reactor.netty.shutdown-quiet-period=0s", "management.server.port=0"})
    class WithGeneratedSecrets {

        @Autowired
        BoundAddress server;

        @Test
        void listensOnLoopbackOnlyAndTheBannerSaysSo(CapturedOutput output) {
            InetSocketAddress bound = (InetSocketAddress) server.bound.get();

            assertThat(bound.getAddress().isLoopbackAddress()).as("bound to %s", bound).isTrue();
            assertThat(output.getAll()).contains("listening on 127.0.0.1 only");
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = {
            io.pushgate.PushgateApplication.class, BoundAddress.class}, properties = {
            "pushgate.auth.jwt-secret=" + TestSecrets.JWT_SECRET, "pushgate.api.keys=" + TestSecrets.API_KEY,
            "spring.reactor.netty.shutdown-quiet-period=0s", "management.server.port=0"})
    class WithConfiguredSecrets {

        @Autowired
        BoundAddress server;

        @Test
        void listensOnEveryInterface() {
            InetSocketAddress bound = (InetSocketAddress) server.bound.get();

            assertThat(bound.getAddress().isAnyLocalAddress()).as("bound to %s", bound).isTrue();
        }
    }

    @Nested
    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = {
            io.pushgate.PushgateApplication.class, BoundAddress.class}, properties = {
            "server.address=0.0.0.0", "spring.reactor.netty.shutdown-quiet-period=0s", "management.server.port=0"})
    class WithGeneratedSecretsAndAnExplicitAddress {

        @Autowired
        BoundAddress server;

        @Test
        void listensWhereServerAddressSays() {
            InetSocketAddress bound = (InetSocketAddress) server.bound.get();

            assertThat(bound.getAddress().isAnyLocalAddress()).as("bound to %s", bound).isTrue();
        }
    }
}
