package elastik.servers;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.node.ElastikNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One real Elasticsearch node in this JVM: the server jar and the netty4 HTTP/transport
 * module from Maven Central, plugins from the classpath ({@link ElastikNode}).
 *
 * <pre>
 * EsNode --home DIR --name NAME --http-port P --transport-port T
 *        [--cluster-name C] [--seeds h:p,h:p --masters n1,n2,n3] [--setting key=value]...
 * </pre>
 *
 * Without --seeds the node is a single-node cluster. Binds 127.0.0.1 only. Once HTTP
 * answers it prints {@code elastik-es-node NAME http://127.0.0.1:P ...} on stdout;
 * SIGTERM closes the node cleanly.
 */
public final class EsNode {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        String home = null, name = null, clusterName = "elastik-test", seeds = null, masters = null;
        int httpPort = -1, transportPort = -1;
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) usage("missing value for " + a);
            switch (a) {
                case "--home" -> home = v;
                case "--name" -> name = v;
                case "--cluster-name" -> clusterName = v;
                case "--http-port" -> httpPort = Integer.parseInt(v);
                case "--transport-port" -> transportPort = Integer.parseInt(v);
                case "--seeds" -> seeds = v;
                case "--masters" -> masters = v;
                case "--setting" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) usage("--setting wants key=value, got " + v);
                    extra.put(v.substring(0, eq), v.substring(eq + 1));
                }
                default -> usage("unknown argument " + a);
            }
            i++;
        }
        if (home == null || name == null || httpPort < 0 || transportPort < 0) usage("--home, --name, --http-port and --transport-port are required");
        if ((seeds == null) != (masters == null)) usage("--seeds and --masters go together");

        Path homeDir = Path.of(home).toAbsolutePath();
        Files.createDirectories(homeDir.resolve("data"));
        Files.createDirectories(homeDir.resolve("logs"));
        Files.createDirectories(homeDir.resolve("config"));
        Files.createDirectories(homeDir.resolve("repo"));

        Settings.Builder s = Settings.builder()
            .put("cluster.name", clusterName)
            .put("node.name", name)
            .put("path.home", homeDir.toString())
            .put("path.data", homeDir.resolve("data").toString())
            .put("path.logs", homeDir.resolve("logs").toString())
            // Shared-filesystem snapshot repositories may live under here (relative locations resolve against it).
            .put("path.repo", homeDir.resolve("repo").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            .put("http.type", Netty4Plugin.NETTY_HTTP_TRANSPORT_NAME)
            .put("transport.type", Netty4Plugin.NETTY_TRANSPORT_NAME)
            // A test machine's disk may be fuller than the production watermarks allow.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false);
        if (seeds == null) {
            s.put("discovery.type", "single-node");
        } else {
            s.putList("discovery.seed_hosts", List.of(seeds.split(",")));
            s.putList("cluster.initial_master_nodes", List.of(masters.split(",")));
        }
        s.put(extra.build());
        Settings settings = s.build();

        LogConfigurator.setNodeName(name);
        LogConfigurator.setClusterName(clusterName);
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);

        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        plugins.add(Netty4Plugin.class);
        plugins.add(RestRootPlugin.class);

        final String nodeName = name;
        Node node = new ElastikNode(
            InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), homeDir.resolve("config"), () -> nodeName),
            plugins
        );
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "elastik-es-shutdown"));
        node.start();

        long ms = (System.nanoTime() - t0) / 1_000_000;
        long jvmMs = ManagementFactory.getRuntimeMXBean().getUptime();
        Runtime rt = Runtime.getRuntime();
        long heapUsedMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
        System.out.println("elastik-es-node " + name + " http://127.0.0.1:" + httpPort
            + " started in " + ms + " ms (JVM up " + jvmMs + " ms), heap used " + heapUsedMb
            + " MB of max " + (rt.maxMemory() >> 20) + " MB");
        System.out.flush();
        closed.await();
    }

    private static void usage(String why) {
        System.err.println("EsNode: " + why);
        System.exit(2);
    }
}
