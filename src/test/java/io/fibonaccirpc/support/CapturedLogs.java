package io.fibonaccirpc.support;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;

/**
 * The log events of the applications started in this JVM, as the application's console appender gets them (its
 * MDC with them), and each as that appender writes it: what an operator reads. Captured from {@link #start} to
 * {@link #close}.
 */
public final class CapturedLogs implements AutoCloseable {

    private static final String CONSOLE = "console";

    private final LoggerContext context;
    private final Appender appender;
    private final List<LogEvent> events;

    private CapturedLogs(LoggerContext context, Appender appender, List<LogEvent> events) {
        this.context = context;
        this.appender = appender;
        this.events = events;
    }

    public static CapturedLogs start() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        List<LogEvent> events = new CopyOnWriteArrayList<>();
        Appender appender = new AbstractAppender("captured-" + UUID.randomUUID(), null, null, true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        appender.start();
        context.getConfiguration().getRootLogger().addAppender(appender, null, null);
        context.updateLoggers();
        return new CapturedLogs(context, appender, events);
    }

    /** Logs this logger's events of this level and above too (a route's log steps log under the route's id). */
    public static void setLevel(String logger, Level level) {
        Configurator.setLevel(logger, level);
    }

    public List<LogEvent> events() {
        return List.copyOf(events);
    }

    public List<LogEvent> matching(Predicate<LogEvent> condition) {
        return events.stream().filter(condition).toList();
    }

    /** The event's line as the application's console appender writes it. */
    public String line(LogEvent event) {
        Configuration configuration = context.getConfiguration();
        Layout<?> layout = configuration.getAppender(CONSOLE).getLayout();
        return new String(layout.toByteArray(event)).strip();
    }

    /** An MDC value of the event, or null. */
    public static String mdc(LogEvent event, String key) {
        return event.getContextData().getValue(key);
    }

    @Override
    public void close() {
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.updateLoggers();
        appender.stop();
    }
}
