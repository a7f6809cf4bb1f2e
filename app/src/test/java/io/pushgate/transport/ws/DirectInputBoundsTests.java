package io.pushgate.transport.ws;

import io.pushgate.support.PushgateIntegrationTest;

import org.springframework.test.context.TestPropertySource;

/** {@link InputBoundsBehaviour} over upgrades served straight from Netty (the default). */
@PushgateIntegrationTest
@TestPropertySource(properties = {
        "pushgate.session.queue=8",
        "pushgate.ws.max-unauthenticated-per-address=3"
})
class DirectInputBoundsTests extends InputBoundsBehaviour {
}
