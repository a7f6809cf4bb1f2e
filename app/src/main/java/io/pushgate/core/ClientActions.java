package io.pushgate.core;

import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;

/**
 * The rules for what a client asks of its own accord, the same on every transport: it joins only
 * groups its token's {@code groups} names, publishes only to groups its {@code publish} names, stays
 * within {@link Limits#groupsPerSession()}, and uses only names {@link Names} accepts. A publish
 * without an event is event {@code message}, without data {@code null}. Every check runs before
 * anything changes, so a refused action has no effect.
 */
public final class ClientActions {

    /** The event of a client publish that names none. */
    public static final String DEFAULT_EVENT = "message";

    private final PushNode node;
    private final Broker broker;

    /** @param broker where client publishes go, as the backend's do */
    public ClientActions(PushNode node, Broker broker) {
        this.node = node;
        this.broker = broker;
    }

    /**
     * The session with this client id when it belongs to the token's uid; {@code null} otherwise, so a
     * client cannot tell another uid's session from none.
     */
    public @Nullable Session ownSession(ClientClaims claims, String clientId) {
        Session session = node.hub().client(clientId);
        return session == null || !session.uid().equals(claims.uid()) ? null : session;
    }

    /** Adds the session to the group; joining a group it is in already is no change and no refusal. */
    public void join(Session session, @Nullable String group) throws ClientRefusal {
        String name = name("group", group);
        if (!session.claims().groups().contains(name)) {
            throw new ClientRefusal(ClientRefusal.Reason.FORBIDDEN, null, "the token does not allow joining this group");
        }
        if (node.hub().join(session, name) == Hub.Join.TOO_MANY_GROUPS) {
            throw new ClientRefusal(ClientRefusal.Reason.TOO_MANY_GROUPS, null,
                    "a session may be in at most " + node.limits().groupsPerSession() + " groups");
        }
    }

    /**
     * Adds the session to a group its transport has vouched for by other means than the token's claims (a
     * Pusher channel authorisation signed with the app's secret, or a public channel anyone may join): the
     * name and the limits are checked as for {@link #join}, the token's {@code groups} is not.
     */
    public void joinVouched(Session session, @Nullable String group) throws ClientRefusal {
        String name = name("group", group);
        if (node.hub().join(session, name) == Hub.Join.TOO_MANY_GROUPS) {
            throw new ClientRefusal(ClientRefusal.Reason.TOO_MANY_GROUPS, null,
                    "a session may be in at most " + node.limits().groupsPerSession() + " groups");
        }
    }

    /** Takes the session out of the group; any group may be left, one it is not in with no change. */
    public void leave(Session session, @Nullable String group) throws ClientRefusal {
        node.hub().leave(session, name("group", group));
    }

    /**
     * Publishes to the group's sessions through the broker, as a backend publish would (no ttl).
     *
     * @param event    {@code null} for {@link #DEFAULT_EVENT}
     * @param dataJson the data as JSON text, {@code null} for JSON {@code null}
     * @throws ClientRefusal before anything is published
     */
    public Mono<PublishResult> publish(ClientClaims claims, @Nullable String group, @Nullable String event,
                                       @Nullable String dataJson) throws ClientRefusal {
        String name = name("group", group);
        if (!claims.publish().contains(name)) {
            throw new ClientRefusal(ClientRefusal.Reason.FORBIDDEN, null, "the token does not allow publishing to this group");
        }
        String eventName = name("event", event == null ? DEFAULT_EVENT : event);
        return broker.publish(new Publication(Target.group(name), eventName, dataJson == null ? "null" : dataJson, 0));
    }

    /**
     * Publishes to the other sessions of a group the session is in, never back to the session itself (a
     * Pusher client event): a session that is not in the group is refused, whatever its token says.
     *
     * @param dataJson the data as JSON text, {@code null} for JSON {@code null}
     * @throws ClientRefusal before anything is published
     */
    public Mono<PublishResult> publishToOthers(Session session, @Nullable String group, @Nullable String event,
                                               @Nullable String dataJson) throws ClientRefusal {
        String name = name("group", group);
        if (!session.groups().contains(name)) {
            throw new ClientRefusal(ClientRefusal.Reason.FORBIDDEN, null, "only a member of the group may publish to its other members");
        }
        String eventName = name("event", event == null ? DEFAULT_EVENT : event);
        Target others = new Target(List.of(), List.of(name), List.of(), false,
                Set.of(session.clientId()));
        return broker.publish(new Publication(others, eventName, dataJson == null ? "null" : dataJson, 0));
    }

    /**
     * A client's {@code send}: what it says goes to the backend as a {@code message} event, and nowhere
     * else. @param event {@code null} for {@link #DEFAULT_EVENT}
     *
     * @throws ClientRefusal when the event name is not valid, or no backend takes events ({@code no_backend})
     */
    public void send(Session session, @Nullable String event, @Nullable String dataJson) throws ClientRefusal {
        String eventName = name("event", event == null ? DEFAULT_EVENT : event);
        if (!node.clientSaid(session, eventName, dataJson)) {
            throw new ClientRefusal(ClientRefusal.Reason.NO_BACKEND, null, "no backend takes client messages here (pushgate.events.url)");
        }
    }

    /**
     * A client's call to the backend: the backend's answer (JSON text), or a {@link BackendCallException}.
     *
     * @throws ClientRefusal when the method is not a valid name
     */
    public Mono<String> call(Session session, @Nullable String method, @Nullable String dataJson) throws ClientRefusal {
        return node.calls().call(session, name("method", method), dataJson);
    }

    private static String name(String field, @Nullable String value) throws ClientRefusal {
        if (value == null || !Names.isValid(value)) {
            throw new ClientRefusal(ClientRefusal.Reason.BAD_NAME, field,
                    field + " must be 1-" + Names.MAX_LENGTH + " characters without spaces");
        }
        return value;
    }
}
