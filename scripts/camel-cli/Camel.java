/**
 * The {@code camel} command of Camel JBang: its own entry point, {@code CamelJBangMain.run}, as the JBang-installed
 * {@code camel} calls it. scripts/camel compiles it once and runs it on the class path of camel-jbang-core alone.
 */
public final class Camel {

    private Camel() {
    }

    public static void main(String... args) {
        org.apache.camel.dsl.jbang.core.commands.CamelJBangMain.run(args);
    }
}
