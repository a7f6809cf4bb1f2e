package io.pushgate.api;

import io.pushgate.core.Broker;
import io.pushgate.security.ApiKeys;
import io.pushgate.web.JsonBodies;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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
    DirectPublishing directPublishing(Broker broker, JsonBodies bodies, PublishRequests requests, ApiKeys keys,
                                      JsonMapper mapper) {
        return new DirectPublishing(broker, bodies, requests, keys, mapper);
    }
}
