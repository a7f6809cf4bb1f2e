package io.pushgate.api;

import static io.pushgate.api.PresenceController.name;

import io.pushgate.core.Broker;
import io.pushgate.core.Hub;
import io.pushgate.core.MembershipLimitException;
import io.pushgate.api.problem.Problem;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

import reactor.core.publisher.Mono;

/**
 * Group membership set by the backend, on whichever node the sessions are. A uid's membership holds
 * for the uid's sessions now and for sessions it opens later, until it is deleted; a client's holds
 * for that one connection. Both are idempotent.
 */
@RestController
class MembershipController {

    private final Broker broker;

    MembershipController(Broker broker) {
        this.broker = broker;
    }

    @PutMapping("/api/v1/groups/{group}/uids/{uid}")
    Mono<Answers.UidMembership> addUid(@PathVariable String group, @PathVariable String uid) {
        return broker.joinUid(name("uid", uid), name("group", group))
                .onErrorMap(MembershipLimitException.class, MembershipController::refused)
                .map(sessions -> new Answers.UidMembership(group, uid, sessions));
    }

    /**
     * A membership cap reached: 409 when this uid is full (deleting one of its memberships makes room),
     * 429 when the node holds memberships for as many uids as it may (deleting any uid's makes room).
     */
    static ApiException refused(MembershipLimitException e) {
        return new ApiException(e.kind() == MembershipLimitException.Kind.GROUPS_PER_UID
                ? new Problem("too-many-uid-groups", HttpStatus.CONFLICT, e.getMessage())
                : new Problem("too-many-membership-uids", HttpStatus.TOO_MANY_REQUESTS, e.getMessage()));
    }

    @DeleteMapping("/api/v1/groups/{group}/uids/{uid}")
    Mono<Answers.UidMembership> removeUid(@PathVariable String group, @PathVariable String uid) {
        return broker.leaveUid(name("uid", uid), name("group", group))
                .map(sessions -> new Answers.UidMembership(group, uid, sessions));
    }

    @PutMapping("/api/v1/groups/{group}/clients/{clientId}")
    Mono<Answers.ClientMembership> addClient(@PathVariable String group, @PathVariable String clientId) {
        return broker.joinClient(name("client id", clientId), name("group", group))
                .switchIfEmpty(Mono.error(MembershipController::clientNotFound))
                .map(join -> {
                    if (join == Hub.Join.TOO_MANY_GROUPS) {
                        throw new ApiException(new Problem("too-many-groups", HttpStatus.CONFLICT,
                                "the client is already in the maximum number of groups"));
                    }
                    return new Answers.ClientMembership(group, clientId, true);
                });
    }

    @DeleteMapping("/api/v1/groups/{group}/clients/{clientId}")
    Mono<Answers.ClientMembership> removeClient(@PathVariable String group, @PathVariable String clientId) {
        return broker.leaveClient(name("client id", clientId), name("group", group))
                .switchIfEmpty(Mono.error(MembershipController::clientNotFound))
                .map(was -> new Answers.ClientMembership(group, clientId, false));
    }

    static ApiException clientNotFound() {
        return new ApiException(new Problem("client-not-found", HttpStatus.NOT_FOUND, "no connected client has this id"));
    }
}
