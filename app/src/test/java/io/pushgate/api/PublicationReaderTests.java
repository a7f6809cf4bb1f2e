package io.pushgate.api;

import java.util.List;
import java.util.Set;

import io.pushgate.api.problem.Problem;
import io.pushgate.codec.RawJson;
import io.pushgate.core.Publication;
import io.pushgate.core.Target;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A publish body as {@link PublicationReader} reads it: every valid form becomes the publication it
 * says, and every wrong member is a 400 {@code bad-request} whose detail names that member.
 */
class PublicationReaderTests {

    private final JsonMapper mapper = JsonMapper.builder().build();
    private final PublicationReader reader = new PublicationReader(mapper, 5);

    private Publication read(String body) {
        return reader.read(RawJson.read(mapper, body), "");
    }

    private String refused(String body) {
        return refused(body, "");
    }

    private String refused(String body, String where) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> reader.read(RawJson.read(mapper, body), where));
        assertThat(e).as("refused: %s", body).isNotNull();
        Problem problem = e.problem();
        assertThat(problem.slug()).isEqualTo("bad-request");
        assertThat(problem.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        return problem.detail();
    }

    @Test
    void theSmallestBodyIsATargetWithTheDefaults() {
        Publication publication = read("{\"to\":{\"uids\":[\"alice\"]}}");
        assertThat(publication.target()).isEqualTo(Target.uid("alice"));
        assertThat(publication.event()).isEqualTo("message");
        assertThat(publication.dataJson()).as("no data is JSON null").isEqualTo("null");
        assertThat(publication.ttlSeconds()).isZero();
        assertThat(publication.idempotencyKey()).isNull();
    }

    @Test
    void everyMemberIsRead() {
        Publication publication = read("""
                {"to":{"uids":["alice","bob","alice"],"groups":["room-1"],"clients":["n-1"],"all":false},
                 "event":"new_msg","data":{"n" : 1.50, "big":1e999},"ttl":604800,
                 "exclude":{"clients":["n-2"]},"idempotencyKey":"order-42"}""");
        assertThat(publication.target()).isEqualTo(new Target(List.of("alice", "bob"), List.of("room-1"), List.of("n-1"),
                false, Set.of("n-2")));
        assertThat(publication.event()).isEqualTo("new_msg");
        assertThat(publication.dataJson()).as("data kept token for token").isEqualTo("{\"n\":1.50,\"big\":1e999}");
        assertThat(publication.ttlSeconds()).isEqualTo(604800);
        assertThat(publication.idempotencyKey()).isEqualTo("order-42");
    }

    @Test
    void allAloneIsATargetAndNullMembersCountAsAbsent() {
        assertThat(read("{\"to\":{\"all\":true}}").target()).isEqualTo(Target.everyone());
        Publication publication = read("{\"to\":{\"groups\":[\"g\"],\"uids\":null,\"all\":null},\"event\":null,\"ttl\":null,"
                + "\"exclude\":null,\"idempotencyKey\":null,\"data\":null}");
        assertThat(publication.target()).isEqualTo(Target.group("g"));
        assertThat(publication.event()).isEqualTo("message");
        assertThat(publication.dataJson()).isEqualTo("null");
        assertThat(publication.ttlSeconds()).isZero();
        assertThat(publication.idempotencyKey()).isNull();
    }

    @Test
    void theBodyAndItsTargetMustBeObjectsWithKnownMembers() {
        assertThat(refused("[]")).isEqualTo("must be a JSON object");
        assertThat(refused("{\"to\":{\"uids\":[\"a\"]},\"ttl_seconds\":1}"))
                .isEqualTo("the body has an unknown member 'ttl_seconds'; allowed: data, event, exclude, idempotencyKey, to, ttl");
        assertThat(refused("{\"event\":\"e\"}")).startsWith("'to' is required: ");
        assertThat(refused("{\"to\":[\"alice\"]}")).startsWith("'to' is required: ");
        assertThat(refused("{\"to\":{\"uid\":[\"alice\"]}}"))
                .isEqualTo("'to' has an unknown member 'uid'; allowed: all, clients, groups, uids");
        assertThat(refused("{\"to\":{}}")).isEqualTo("'to' names nobody: give uids, groups, clients or all: true");
        assertThat(refused("{\"to\":{\"uids\":[],\"all\":false}}")).isEqualTo("'to' names nobody: give uids, groups, clients or all: true");
    }

    @Test
    void eachTargetListMustHoldValidNames() {
        assertThat(refused("{\"to\":{\"uids\":\"alice\"}}")).isEqualTo("to.uids must be an array of strings");
        assertThat(refused("{\"to\":{\"groups\":[1]}}")).startsWith("to.groups holds an invalid group: each must be a string of 1-128");
        assertThat(refused("{\"to\":{\"clients\":[\"a b\"]}}")).startsWith("to.clients holds an invalid client id");
        assertThat(refused("{\"to\":{\"uids\":[\"\"]}}")).startsWith("to.uids holds an invalid uid");
        assertThat(refused("{\"to\":{\"uids\":[\"" + "x".repeat(129) + "\"]}}")).startsWith("to.uids holds an invalid uid");
        assertThat(refused("{\"to\":{\"all\":\"yes\"}}")).isEqualTo("to.all must be true or false");
        assertThat(refused("{\"to\":{\"uids\":[\"a\",\"b\",\"c\"],\"groups\":[\"d\",\"e\",\"f\"]}}"))
                .isEqualTo("at most 5 uids, groups and clients in one publish");
        assertThat(read("{\"to\":{\"uids\":[\"a\",\"b\",\"c\"],\"groups\":[\"d\",\"e\"]}}").target().groups()).hasSize(2);
    }

    @Test
    void excludeTakesClientsOnly() {
        assertThat(refused("{\"to\":{\"all\":true},\"exclude\":[\"n-1\"]}")).isEqualTo("exclude must be an object: {\"clients\":[…]}");
        assertThat(refused("{\"to\":{\"all\":true},\"exclude\":{\"uids\":[\"a\"]}}"))
                .isEqualTo("'exclude' has an unknown member 'uids'; allowed: clients");
        assertThat(refused("{\"to\":{\"all\":true},\"exclude\":{\"clients\":[\" \"]}}")).startsWith("exclude.clients holds an invalid client id");
    }

    @Test
    void eventTtlAndIdempotencyKeyAreChecked() {
        assertThat(refused("{\"to\":{\"all\":true},\"event\":\"new msg\"}")).isEqualTo("event must be a string of 1-128 characters without spaces");
        assertThat(refused("{\"to\":{\"all\":true},\"event\":7}")).isEqualTo("event must be a string of 1-128 characters without spaces");
        for (String ttl : new String[] {"-1", "604801", "1.5", "\"60\"", "18446744073709551617", "true"}) {
            assertThat(refused("{\"to\":{\"all\":true},\"ttl\":" + ttl + "}")).as(ttl).isEqualTo("ttl must be whole seconds from 0 to 604800");
        }
        for (String key : new String[] {"\"\"", "\"has space\"", "\"é\"", "\"" + "k".repeat(201) + "\"", "42"}) {
            assertThat(refused("{\"to\":{\"all\":true},\"idempotencyKey\":" + key + "}")).as(key)
                    .isEqualTo("idempotencyKey must be 1-200 printable ASCII characters without spaces");
        }
        assertThat(read("{\"to\":{\"all\":true},\"idempotencyKey\":\"" + "k".repeat(200) + "\"}").idempotencyKey()).hasSize(200);
        assertThat(read("{\"to\":{\"all\":true},\"idempotencyKey\":\"!~\"}").idempotencyKey()).isEqualTo("!~");
    }

    @Test
    void theDetailStartsWithWhereTheBodyIsInABatch() {
        assertThat(refused("{\"to\":{}}", "[3]: ")).isEqualTo("[3]: 'to' names nobody: give uids, groups, clients or all: true");
        assertThat(refused("1", "[0]: ")).isEqualTo("[0]: must be a JSON object");
    }
}
