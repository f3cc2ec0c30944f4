package io.github.djlresnet.runtime;

import java.nio.file.Files;
import java.nio.file.Path;

/** Child-JVM probe for {@link AllocatorRelaunchTest}: writes what it sees, exits with args[1]. */
public final class EnvironmentProbe {

    public static void main(String[] args) throws Exception {
        Files.writeString(Path.of(args[0]), System.getenv(AllocatorRelaunch.ARENA_MAX) + " "
                + System.getenv(AllocatorRelaunch.MARKER) + " " + System.getProperty("djlresnet.probe") + " "
                + MallocTuning.loadedTcmalloc().orElse("no-tcmalloc"));
        System.exit(Integer.parseInt(args[1]));
    }
}
