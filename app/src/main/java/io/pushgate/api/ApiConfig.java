package io.pushgate.api;

import io.pushgate.api.problem.ProblemWriter;
import io.pushgate.core.Broker;
import io.pushgate.security.ApiKeys;
import io.pushgate.web.JsonBodies;

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
    DirectPublishing directPublishing(Broker broker, JsonBodies bodies, PublishRequests requests, ApiKeys keys,
                                      JsonMapper mapper, AccessLog access, ApiRateLimits limits) {
        return new DirectPublishing(broker, bodies, requests, keys, mapper, access, limits);
    }
}
