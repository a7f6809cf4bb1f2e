package io.pushgate.core;

import java.util.List;
import java.util.Set;

/**
 * Who a publish goes to. A session matched several ways (its uid and a group, say) receives the
 * message once.
 *
 * @param uids           every session of each uid
 * @param groups         every member session of each group
 * @param clients        single sessions by client id
 * @param all            every session; the other selectors are then redundant
 * @param excludeClients sessions that must not receive it, whatever else matches them
 */
public record Target(List<String> uids, List<String> groups, List<String> clients, boolean all,
                     Set<String> excludeClients) {

    public Target {
        uids = List.copyOf(uids);
        groups = List.copyOf(groups);
        clients = List.copyOf(clients);
        excludeClients = Set.copyOf(excludeClients);
    }

    public static Target uid(String uid) {
        return new Target(List.of(uid), List.of(), List.of(), false, Set.of());
    }

    public static Target group(String group) {
        return new Target(List.of(), List.of(group), List.of(), false, Set.of());
    }

    public static Target everyone() {
        return new Target(List.of(), List.of(), List.of(), true, Set.of());
    }

    public boolean isEmpty() {
        return !all && uids.isEmpty() && groups.isEmpty() && clients.isEmpty();
    }
}
