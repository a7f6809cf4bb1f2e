package io.pushgate.transport.ws;

import io.pushgate.support.PushgateIntegrationTest;

import org.springframework.test.context.TestPropertySource;

/** {@link InputBoundsBehaviour} over upgrades WebFlux makes ({@code pushgate.ws.direct=false}). */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.session.queue=8",
        "pushgate.ws.max-unauthenticated-per-address=3",
        "pushgate.ws.direct=false"
})
class WebFluxInputBoundsTests extends InputBoundsBehaviour {
}
