package io.pushgate.api;

import io.pushgate.api.problem.ProblemWriter;
import io.pushgate.core.Broker;
import io.pushgate.security.ApiKeys;
import io.pushgate.web.JsonBodies;

import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebFilter;

import tools.jackson.databind.json.JsonMapper;

/** The API's own collaborators; {@link ApiSettings} comes from the application's configuration. */
@Configuration(proxyBeanMethods = false)
public class ApiConfig {

    @Bean
    JsonBodies jsonBodies(JsonMapper mapper, ApiSettings settings) {
        return new JsonBodies(mapper, settings.maxBodyBytes());
    }

    @Bean
    PublicationReader publicationReader(JsonMapper mapper, ApiSettings settings) {
        return new PublicationReader(mapper, settings.maxTargets());
    }

    @Bean
    PublishRequests publishRequests(PublicationReader reader, ApiSettings settings) {
        return new PublishRequests(reader, settings.maxBatch());
    }

    @Bean
    AccessLog accessLog(ApiSettings settings) {
        return new AccessLog(settings.accessLog());
    }

    @Bean
    ApiRateLimits apiRateLimits(ApiKeys keys, ApiSettings settings) {
        return new ApiRateLimits(keys.ids(), settings.rate(), settings.rateBurst(), System::nanoTime);
    }

    @Bean
    ApiRequests apiRequests(ApiKeys keys, AccessLog access, ApiRateLimits limits, ProblemWriter problems) {
        return new ApiRequests(keys, access, limits, problems);
    }

    @Bean
    WebFilter apiRequestIdentity(ApiRequests requests) {
        return requests.identify();
    }

    @Bean
    WebFilter apiRateLimit(ApiRequests requests) {
        return requests.limit();
    }

    @Bean
    PublishStream publishStream(Broker broker, JsonBodies bodies, PublishRequests requests, ApiRateLimits limits,
                                JsonMapper mapper, ApiSettings settings) {
        return new PublishStream(broker::publish, bodies, requests, limits, mapper, settings.streamMaxInFlight());
    }

    /**
     * At shutdown, before the web server stops (the highest phase, as the sessions' drain): publish streams
     * stop reading, answer what they read and close with 1001, so the web server's graceful shutdown does
     * not wait on them.
     */
    @Bean
    SmartLifecycle publishStreamDrain(PublishStream stream, ApiSettings settings) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                stream.reopen();
                running = true;
            }

            @Override
            public void stop() {
                stream.drain(settings.shutdownGraceMillis());
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return Integer.MAX_VALUE;
            }
        };
    }

    @Bean
    DirectPublishing directPublishing(Broker broker, JsonBodies bodies, PublishRequests requests, ApiKeys keys,
                                      JsonMapper mapper, AccessLog access, ApiRateLimits limits) {
        return new DirectPublishing(broker, bodies, requests, keys, mapper, access, limits);
    }
}
