package io.pushgate;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.pushgate.core.Hub;
import io.pushgate.core.PushNode;
import io.pushgate.core.Roster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The dependency rule: the core knows no transport, web framework, Netty, JSON library or broker;
 * adapters depend on the core and never on each other; only {@code config} wires them together.
 */
class ArchitectureTests {

    static final String PROBLEMS = "io.pushgate.api.problem..";
    static final String NETTY_PLUMBING = "io.pushgate.transport.netty..";
    /**
     * The node's insides, which adapters reach only through its roles ({@code TransportRole}, {@code ApiRole},
     * {@code ClientActions}). Nested value types such as {@code Hub.Join}, which the Broker seam answers with, are not insides.
     */
    static final DescribedPredicate<JavaClass> NODE_INSIDES = type(PushNode.class).or(type(Hub.class)).or(type(Roster.class))
            .as("are PushNode, Hub or Roster");

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.pushgate");
    }

    @Test
    void coreDependsOnlyOnTheJdkReactorAndJSpecify() {
        classes().that().resideInAPackage("io.pushgate.core..")
                .should().onlyDependOnClassesThat()
                .resideInAnyPackage("io.pushgate.core..", "java..", "reactor.core..", "reactor.util..", "org.jspecify..")
                .check(classes);
    }

    @Test
    void codecDependsOnlyOnCoreAndJackson() {
        classes().that().resideInAPackage("io.pushgate.codec..")
                .should().onlyDependOnClassesThat()
                .resideInAnyPackage("io.pushgate.core..", "io.pushgate.codec..", "java..", "tools.jackson..", "org.jspecify..")
                .check(classes);
    }

    @Test
    void transportsDoNotKnowTheApiOrEachOther() {
        noClasses().that().resideInAPackage("io.pushgate.transport..")
                .should().dependOnClassesThat(resideInAnyPackage("io.pushgate.api..", "io.pushgate.config..")
                        .and(not(resideInAPackage(PROBLEMS))))
                .check(classes);
        slices().matching("io.pushgate.transport.(*)..").should().notDependOnEachOther()
                .ignoreDependency(alwaysTrue(), resideInAPackage(NETTY_PLUMBING))
                .check(classes);
    }

    @Test
    void transportsSeeTheNodeOnlyThroughItsRoles() {
        noClasses().that().resideInAPackage("io.pushgate.transport..")
                .should().dependOnClassesThat(NODE_INSIDES)
                .check(classes);
    }

    @Test
    void theApiAndCompatibilityAdaptersSeeTheNodeOnlyThroughItsRoles() {
        noClasses().that().resideInAnyPackage("io.pushgate.api..", "io.pushgate.compat..")
                .should().dependOnClassesThat(NODE_INSIDES)
                .check(classes);
    }

    /** The admin page's API is an adapter like the backend API: roles and the broker, and no other adapter. */
    @Test
    void theAdminAdapterSeesTheNodeOnlyThroughItsRolesAndKnowsNoOtherAdapter() {
        noClasses().that().resideInAPackage("io.pushgate.admin..")
                .should().dependOnClassesThat(NODE_INSIDES)
                .check(classes);
        noClasses().that().resideInAPackage("io.pushgate.admin..")
                .should().dependOnClassesThat(resideInAnyPackage("io.pushgate.transport..", "io.pushgate.api..",
                        "io.pushgate.compat..", "io.pushgate.broker..", "io.pushgate.config..").and(not(resideInAPackage(PROBLEMS))))
                .check(classes);
    }

    /**
     * Pusher's protocol comes with its own HTTP API, so {@code transport.pusher} is the one transport that also
     * publishes and reads presence as the backend API does: through the {@code Broker} and {@code ApiRole}, never
     * the {@code api} package; it checks Pusher's own signatures, so it knows no {@code security} either.
     * Every other transport sees the node only as {@code TransportRole} and {@code ClientActions}.
     */
    @Test
    void onlyThePusherTransportServesAnApiAndItSignsItsOwn() {
        noClasses().that().resideInAPackage("io.pushgate.transport..").and().resideOutsideOfPackage("io.pushgate.transport.pusher..")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.pushgate.core.ApiRole")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.pushgate.core.Broker")
                .check(classes);
        noClasses().that().resideInAPackage("io.pushgate.transport.pusher..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.security..", "io.pushgate.api..")
                .check(classes);
    }

    @Test
    void theNettyPlumbingKnowsNoTransport() {
        noClasses().that().resideInAPackage(NETTY_PLUMBING)
                .should().dependOnClassesThat(resideInAPackage("io.pushgate.transport..").and(not(resideInAPackage(NETTY_PLUMBING))))
                .check(classes);
    }

    @Test
    void problemAnswersKnowOnlyTheCore() {
        classes().that().resideInAPackage(PROBLEMS)
                .should().onlyDependOnClassesThat(not(resideInAPackage("io.pushgate.."))
                        .or(resideInAnyPackage(PROBLEMS, "io.pushgate.core")))
                .check(classes);
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("io.pushgate.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void apiDoesNotKnowTransports() {
        noClasses().that().resideInAPackage("io.pushgate.api..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.transport..", "io.pushgate.config..")
                .check(classes);
    }

    @Test
    void securityDoesNotKnowTransportsOrTheApi() {
        noClasses().that().resideInAPackage("io.pushgate.security..")
                .should().dependOnClassesThat(resideInAnyPackage("io.pushgate.transport..", "io.pushgate.api..", "io.pushgate.config..")
                        .and(not(resideInAPackage(PROBLEMS))))
                .check(classes);
    }

    @Test
    void compatibilityAdaptersKnowOnlyTheCore() {
        noClasses().that().resideInAPackage("io.pushgate.compat..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.transport..", "io.pushgate.api..",
                        "io.pushgate.security..", "io.pushgate.config..", "io.pushgate.broker..")
                .check(classes);
    }

    /**
     * The backend's side (events, calls) is an adapter of the core's ports; it uses the codec and the HTTP
     * edge's signatures, and knows no other adapter.
     */
    @Test
    void backendEventsKnowOnlyTheCoreAndTheCodec() {
        classes().that().resideInAPackage("io.pushgate.events..")
                .should().onlyDependOnClassesThat(not(resideInAPackage("io.pushgate.."))
                        .or(resideInAnyPackage("io.pushgate.events..", "io.pushgate.core..", "io.pushgate.codec..", "io.pushgate.web")))
                .check(classes);
        noClasses().that().resideInAPackage("io.pushgate.events..")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.pushgate.core.PushNode")
                .check(classes);
    }

    @Test
    void brokersKnowOnlyTheCore() {
        noClasses().that().resideInAPackage("io.pushgate.broker..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.transport..", "io.pushgate.api..",
                        "io.pushgate.web..", "io.pushgate.security..", "io.pushgate.config..", "io.pushgate.codec..")
                .check(classes);
        noClasses().that().resideOutsideOfPackages("io.pushgate.broker..", "io.pushgate.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.broker..", "org.springframework.data.redis..",
                        "io.lettuce..")
                .check(classes);
    }

    /**
     * A broker sees its node only as a {@code BrokerRole}: it may carry entries and use the core's value
     * types ({@code Hub.Join}, {@code Roster.Member} among them), never reach into the node's indexes.
     */
    @Test
    void brokersSeeTheNodeOnlyThroughItsBrokerRole() {
        noClasses().that().resideInAPackage("io.pushgate.broker..")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.pushgate.core.PushNode")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.pushgate.core.Hub")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.pushgate.core.Roster")
                .check(classes);
    }

    /** Meters read the core's counters; the core counts in plain JDK types and never knows Micrometer. */
    @Test
    void metricsKnowOnlyTheCoreAndOnlyTheWiringKnowsThem() {
        noClasses().that().resideInAPackage("io.pushgate.metrics..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.transport..", "io.pushgate.api..",
                        "io.pushgate.compat..", "io.pushgate.broker..", "io.pushgate.security..", "io.pushgate.web..",
                        "io.pushgate.codec..", "org.springframework..", "io.netty..")
                .orShould().dependOnClassesThat(NODE_INSIDES)
                .check(classes);
        noClasses().that().resideOutsideOfPackages("io.pushgate.metrics..", "io.pushgate.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.metrics..", "io.micrometer..")
                .check(classes);
    }

    /** The jar's commands read the server's configuration ({@code config}) as the application does. */
    @Test
    void onlyTheApplicationKnowsTheWiring() {
        noClasses().that().resideOutsideOfPackages("io.pushgate.config..", "io.pushgate.cli..")
                .and().doNotHaveFullyQualifiedName(PushgateApplication.class.getName())
                .should().dependOnClassesThat().resideInAPackage("io.pushgate.config..")
                .check(classes);
    }

    /** Commands are entry points next to the application, and run without any part of the server. */
    @Test
    void commandsAreEntryPointsThatStartNoServer() {
        noClasses().that().resideOutsideOfPackage("io.pushgate.cli..")
                .and().doNotHaveFullyQualifiedName(PushgateApplication.class.getName())
                .should().dependOnClassesThat().resideInAPackage("io.pushgate.cli..")
                .check(classes);
        noClasses().that().resideInAPackage("io.pushgate.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("io.pushgate.transport..", "io.pushgate.api..",
                        "io.pushgate.broker..", "io.pushgate.compat..", "io.pushgate.web..", "org.springframework.boot.web..",
                        "org.springframework.web..", "reactor.netty..", "io.netty..")
                .check(classes);
    }
}
