# The application's image: the runnable jar that `./mvnw package` builds, on a Java 17 runtime. Build the jar
# first, then the image (or let compose.yaml build it: `docker compose up --build`):
#   ./mvnw -B -DskipTests package && docker build -t fibonacci-rpc .
# Every setting comes from the environment, as with `java -jar` (RPC_ROLE, RABBITMQ_ADDRESSES, ...).
FROM eclipse-temurin:17-jre

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fibonacci
WORKDIR /app
COPY target/fibonacci-rpc.jar /app/fibonacci-rpc.jar
USER fibonacci

EXPOSE 8080
# exec form: java is PID 1 and gets the SIGTERM of `docker stop`, so a stop answers the calls in flight first;
# the parallel collector spends less CPU per call than the default G1 (docs/benchmarks.md); JAVA_TOOL_OPTIONS adds more
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+UseParallelGC", "-jar", "/app/fibonacci-rpc.jar"]
