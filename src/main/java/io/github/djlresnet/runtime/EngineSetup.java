package io.github.djlresnet.runtime;

import ai.djl.engine.Engine;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Engine set-up in one place: offline by default (LibTorch comes from the Maven jar, never from a
 * download) and as many intra-op threads as cores unless the user chose a number.
 */
public final class EngineSetup {

    private static final Logger LOG = LoggerFactory.getLogger(EngineSetup.class);

    public static final String THREADS = "ai.djl.pytorch.num_threads";
    public static final String INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";

    private static Engine engine;

    private EngineSetup() {}

    /** Configures and loads the PyTorch engine once, logging what it runs on. */
    public static synchronized Engine engine() {
        if (engine != null) {
            return engine;
        }
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty(THREADS) == null) {
            System.setProperty(THREADS, String.valueOf(Runtime.getRuntime().availableProcessors()));
        }
        if (System.getProperty(INTEROP_THREADS) == null) {
            // one inter-op thread: a ResNet's ops run one after another, extra pools only compete
            System.setProperty(INTEROP_THREADS, "1");
        }
        String malloc = MallocTuning.apply();
        engine = Engine.getEngine("PyTorch");
        LOG.info(
                "engine {} {} | devices {} | threads {} (inter-op {}) | malloc {} | java gc {}, jit {}",
                engine.getEngineName(),
                engine.getVersion(),
                Arrays.toString(engine.getDevices()),
                System.getProperty(THREADS),
                System.getProperty(INTEROP_THREADS),
                malloc,
                garbageCollectors(),
                jit());
        return engine;
    }

    /** The JVM's collectors, e.g. "Copy/MarkSweepCompact" (serial) or "G1 Young Generation/...". */
    static String garbageCollectors() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining("/"));
    }

    /** The JIT compilers in use: "C1+C2" (tiered, java's default) or "C1 only" ({@link JitDefaults}). */
    static String jit() {
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotspot == null) {
            return "unknown";
        }
        boolean tiered = Boolean.parseBoolean(hotspot.getVMOption("TieredCompilation").getValue());
        int level = Integer.parseInt(hotspot.getVMOption("TieredStopAtLevel").getValue());
        return !tiered ? "C2 only" : level >= 4 ? "C1+C2" : "C1 only";
    }

    /** Intra-op threads in use. */
    public static int threads() {
        engine();
        return Integer.parseInt(System.getProperty(THREADS));
    }
}
