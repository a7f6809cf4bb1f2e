package io.pushgate.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import io.pushgate.core.Publication;
import io.pushgate.core.PublishResult;
import io.pushgate.web.JsonBodies;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;

import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bound of a publish stream, without a network: how many frames {@link PublishStream#answers} asks
 * for is how much of the connection Reactor Netty reads, so "at most max-in-flight read and not
 * answered" is a statement about demand, checked here with a broker whose publishes finish when the test
 * says so.
 */
class PublishStreamBoundTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int CAP = 4;

    /** Publishes that wait for the test to finish them, in call order. */
    private final List<Sinks.One<List<PublishResult>>> started = new ArrayList<>();

    /** The broker's publish, finishing when the test says so. */
    private final Function<List<Publication>, Mono<List<PublishResult>>> broker = publications -> {
        Sinks.One<List<PublishResult>> done = Sinks.one();
        started.add(done);
        return done.asMono();
    };

    private final PublishStream stream = new PublishStream(broker, new JsonBodies(JSON, 1024),
            new PublishRequests(new PublicationReader(JSON, 100), 10), new ApiRateLimits(List.of(), 0, 0, System::nanoTime),
            JSON, CAP);

    private final AtomicLong requested = new AtomicLong();

    private Flux<byte[]> frames(int count) {
        return Flux.range(0, count)
                .map(i -> ("{\"ref\":" + i + ",\"to\":{\"uids\":[\"u\"]},\"data\":" + i + "}").getBytes())
                .doOnRequest(n -> requested.addAndGet(n));
    }

    private static void finish(Sinks.One<List<PublishResult>> publish, int n) {
        publish.tryEmitValue(List.of(new PublishResult("id-" + n, 0, List.of(), List.of("u"), false)));
    }

    /** Takes answers only when asked to, like a backend that reads its answers slowly, or not at all. */
    private static final class SlowReader extends BaseSubscriber<String> {
        final List<String> answers = new ArrayList<>();

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            // nothing asked yet
        }

        @Override
        protected void hookOnNext(String answer) {
            answers.add(answer);
        }
    }

    @Test
    void noMoreThanTheCapIsReadWhilePublishesAreUnfinished() {
        List<String> answers = new ArrayList<>();
        stream.answers(frames(100), "k").subscribe(answers::add);

        assertThat(started).hasSize(CAP);
        assertThat(requested.get()).isEqualTo(CAP);

        finish(started.get(1), 1); // done out of order: its answer waits behind the first
        assertThat(answers).isEmpty();
        assertThat(started.size() - answers.size()).isLessThanOrEqualTo(CAP);
        assertThat(requested.get() - answers.size()).isLessThanOrEqualTo(CAP);

        finish(started.get(0), 0); // both answers go, in order, and two more frames are read
        assertThat(answers).hasSize(2);
        assertThat(answers.get(0)).startsWith("{\"ref\":0,\"ok\":true");
        assertThat(answers.get(1)).startsWith("{\"ref\":1,\"ok\":true");
        assertThat(started).hasSize(CAP + 2);
        assertThat(requested.get() - answers.size()).isLessThanOrEqualTo(CAP);
    }

    @Test
    void aBackendThatReadsNoAnswersStopsItsOwnStreamAtTheCap() {
        SlowReader reader = new SlowReader();
        stream.answers(frames(100), "k").subscribe(reader);
        for (int i = 0; i < started.size(); i++) {
            finish(started.get(i), i);
        }
        assertThat(started).hasSize(CAP);
        assertThat(requested.get()).as("no frame read past the cap while answers wait").isEqualTo(CAP);

        reader.request(2);
        assertThat(reader.answers).hasSize(2);
        assertThat(requested.get()).isLessThanOrEqualTo(CAP + 2);
        assertThat(started.size() - reader.answers.size()).isLessThanOrEqualTo(CAP);
    }
    @Test
    void everyFrameCountsAgainstTheKeysRateAndOneOverItIsAnsweredRateLimited() {
        long[] now = {0};
        PublishStream limited = new PublishStream(broker, new JsonBodies(JSON, 1024),
                new PublishRequests(new PublicationReader(JSON, 100), 10),
                new ApiRateLimits(List.of("k"), 1, 2, () -> now[0]), JSON, CAP);
        List<String> answers = new ArrayList<>();
        limited.answers(frames(3), "k").subscribe(answers::add);
        finish(started.get(0), 0);
        finish(started.get(1), 1);

        assertThat(started).as("the third frame is not published").hasSize(2);
        assertThat(answers).hasSize(3);
        JsonNode refused = JSON.readTree(answers.get(2));
        assertThat(refused.path("ref").asInt()).isEqualTo(2);
        assertThat(refused.path("ok").asBoolean()).isFalse();
        assertThat(refused.path("error").path("type").asString()).isEqualTo("urn:pushgate:problem:rate-limited");
        assertThat(refused.path("error").path("status").asInt()).isEqualTo(429);
        assertThat(refused.path("error").path("retryAfter").asLong()).isEqualTo(1);
    }
}
