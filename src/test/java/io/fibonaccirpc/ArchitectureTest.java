package io.fibonaccirpc;

import java.util.ArrayList;
import java.util.List;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The packages of the application and which may use which (README, "Layout"): the composition root uses every
 * other, none uses it; the algorithm and the wire contract use nothing of ours but the wire; gateway and server
 * never use each other; the overrides of Camel's and Spring's internals (tuning) use neither.
 */
class ArchitectureTest {

    private static final String ROOT = "io.fibonaccirpc";
    private static final JavaClasses APPLICATION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);

    @Test
    void the_packages_are_free_of_cycles() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(APPLICATION);
    }

    @Test
    void no_package_uses_the_composition_root() {
        noClasses().that().resideOutsideOfPackage(ROOT).should().dependOnClassesThat().resideInAPackage(ROOT)
                .check(APPLICATION);
    }

    @Test
    void the_algorithm_uses_nothing_of_ours() {
        only(ROOT + ".fibonacci", ROOT + ".fibonacci").check(APPLICATION);
    }

    @Test
    void the_wire_contract_uses_nothing_of_ours() {
        only(ROOT + ".wire", ROOT + ".wire").check(APPLICATION);
    }

    @Test
    void the_broker_and_observe_packages_use_only_the_wire() {
        only(ROOT + ".broker", ROOT + ".broker", ROOT + ".wire").check(APPLICATION);
        only(ROOT + ".observe", ROOT + ".observe", ROOT + ".wire").check(APPLICATION);
    }

    @Test
    void gateway_and_server_never_use_each_other() {
        noClasses().that().resideInAPackage(ROOT + ".gateway").should().dependOnClassesThat()
                .resideInAPackage(ROOT + ".server").check(APPLICATION);
        noClasses().that().resideInAPackage(ROOT + ".server").should().dependOnClassesThat()
                .resideInAPackage(ROOT + ".gateway").check(APPLICATION);
    }

    @Test
    void the_sides_do_not_use_the_overrides_of_camel_internals_nor_these_the_sides() {
        for (String side : new String[] { ".gateway", ".server" }) {
            noClasses().that().resideInAPackage(ROOT + side).should().dependOnClassesThat()
                    .resideInAPackage(ROOT + ".tuning").check(APPLICATION);
            noClasses().that().resideInAPackage(ROOT + ".tuning").should().dependOnClassesThat()
                    .resideInAPackage(ROOT + side).check(APPLICATION);
        }
    }

    /** Classes of {@code pkg} use, of ours, only classes of the given packages. */
    private static ArchRule only(String pkg, String... allowed) {
        String[] ours = { ROOT, ROOT + ".fibonacci", ROOT + ".wire", ROOT + ".broker", ROOT + ".observe",
                ROOT + ".server", ROOT + ".gateway", ROOT + ".tuning" };
        List<String> forbidden = new ArrayList<>(List.of(ours));
        forbidden.removeAll(List.of(allowed));
        return noClasses().that().resideInAPackage(pkg).should().dependOnClassesThat()
                .resideInAnyPackage(forbidden.toArray(String[]::new));
    }
}
