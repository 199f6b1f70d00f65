package io.fibonaccirpc.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;

import org.apache.camel.main.KameletMain;

/**
 * The main of the process {@link CamelRunCommand} starts: runs the files it is given as {@code camel run FILE...}
 * (Camel JBang 4.17, {@code Run}) runs them in its own JVM, on the same runtime: {@link KameletMain} with the
 * {@code camel.jbang} instance type and camel run's default profile (dev); the Camel DSL files (YAML routes, and
 * {@code .java} sources, which it compiles) as the routes include pattern and the {@code .properties} files as
 * the property placeholder locations, both as initial properties, so that application.properties can override
 * neither. Unlike camel run, it downloads nothing: every jar is on the class path Maven built.
 */
public final class CamelRunLauncher {

    private CamelRunLauncher() {
    }

    public static void main(String[] files) throws Exception {
        StringJoiner routes = new StringJoiner(",");
        StringJoiner properties = new StringJoiner(",");
        for (String file : files) {
            if (!Files.isRegularFile(Path.of(file))) {
                throw new IllegalArgumentException("File does not exist: " + file);
            }
            (file.endsWith(".properties") ? properties : routes).add("file:" + file);
        }

        KameletMain main = new KameletMain("camel.jbang");
        main.setProfile("dev");
        main.setDownload(false);
        main.setAppName("Apache Camel (JBang)");
        main.addInitialProperty("camel.main.routesIncludePattern", routes.toString());
        if (properties.length() > 0) {
            main.addInitialProperty("camel.component.properties.location", properties.toString());
            main.setPropertyPlaceholderLocations(properties.toString());
        }
        main.start();
        main.run();
        System.exit(main.getExitCode());
    }
}
