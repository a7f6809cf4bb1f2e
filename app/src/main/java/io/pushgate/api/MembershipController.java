package io.pushgate.api;

import io.pushgate.core.Hub;
import io.pushgate.core.PushNode;
import io.pushgate.core.Session;
import io.pushgate.web.Problem;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

import static io.pushgate.api.PresenceController.name;

/**
 * Group membership set by the backend. A uid's membership holds for the uid's sessions now and for
 * sessions it opens later on this node, until it is deleted; a client's holds for that one connection.
 * Both are idempotent.
 */
@RestController
class MembershipController {

    private final Hub hub;

    MembershipController(PushNode node) {
        this.hub = node.hub();
    }

    @PutMapping("/api/v1/groups/{group}/uids/{uid}")
    Answers.UidMembership addUid(@PathVariable String group, @PathVariable String uid) {
        int sessions = hub.joinUid(name("uid", uid), name("group", group));
        return new Answers.UidMembership(group, uid, sessions);
    }

    @DeleteMapping("/api/v1/groups/{group}/uids/{uid}")
    Answers.UidMembership removeUid(@PathVariable String group, @PathVariable String uid) {
        int sessions = hub.leaveUid(name("uid", uid), name("group", group));
        return new Answers.UidMembership(group, uid, sessions);
    }

    @PutMapping("/api/v1/groups/{group}/clients/{clientId}")
    Answers.ClientMembership addClient(@PathVariable String group, @PathVariable String clientId) {
        Session session = client(clientId);
        if (hub.join(session, name("group", group)) == Hub.Join.TOO_MANY_GROUPS) {
            throw new ApiException(new Problem("too-many-groups", HttpStatus.CONFLICT,
                    "the client is already in the maximum number of groups"));
        }
        return new Answers.ClientMembership(group, clientId, true);
    }

    @DeleteMapping("/api/v1/groups/{group}/clients/{clientId}")
    Answers.ClientMembership removeClient(@PathVariable String group, @PathVariable String clientId) {
        Session session = client(clientId);
        hub.leave(session, name("group", group));
        return new Answers.ClientMembership(group, clientId, false);
    }

    private Session client(String clientId) {
        Session session = hub.client(name("client id", clientId));
        if (session == null) {
            throw new ApiException(new Problem("client-not-found", HttpStatus.NOT_FOUND,
                    "no connected client has this id"));
        }
        return session;
    }
}
