package io.pushgate.api;

import io.pushgate.core.PushNode;
import io.pushgate.web.Problem;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

import io.pushgate.core.NodeStats;

import static io.pushgate.api.PresenceController.name;

/** Kicking sessions (closed with 4403) and the node's counters. */
@RestController
class ControlController {

    private final PushNode node;

    ControlController(PushNode node) {
        this.node = node;
    }

    @DeleteMapping("/api/v1/uids/{uid}/sessions")
    Answers.Kicked kickUid(@PathVariable String uid) {
        return new Answers.Kicked(node.kickUid(name("uid", uid)));
    }

    @DeleteMapping("/api/v1/clients/{clientId}")
    Answers.Kicked kickClient(@PathVariable String clientId) {
        if (!node.kickClient(name("client id", clientId))) {
            throw new ApiException(new Problem("client-not-found", HttpStatus.NOT_FOUND, "no connected client has this id"));
        }
        return new Answers.Kicked(1);
    }

    /** One node today; with a broker the list holds every node and {@code total} sums them. */
    @GetMapping("/api/v1/stats")
    Answers.Stats stats() {
        NodeStats s = node.stats();
        Answers.NodeCounters counters = new Answers.NodeCounters(s.node(), s.sessions(), s.sessionsByTransport(),
                s.uids(), s.groups(), s.messagesIn(), s.messagesOut(), s.messagesInPerSecond(),
                s.messagesOutPerSecond(), s.dropped(), 0);
        Answers.NodeCounters total = new Answers.NodeCounters("total", s.sessions(), s.sessionsByTransport(),
                s.uids(), s.groups(), s.messagesIn(), s.messagesOut(), s.messagesInPerSecond(),
                s.messagesOutPerSecond(), s.dropped(), 0);
        return new Answers.Stats(List.of(counters), total);
    }
}
