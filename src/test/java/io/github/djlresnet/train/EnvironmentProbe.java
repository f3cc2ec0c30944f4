package io.github.djlresnet.train;

import java.nio.file.Files;
import java.nio.file.Path;

/** Child-JVM probe for {@link MallocArenaRelaunchTest}: writes what it sees, exits with args[1]. */
public final class EnvironmentProbe {

    public static void main(String[] args) throws Exception {
        Files.writeString(Path.of(args[0]), System.getenv(MallocArenaRelaunch.ARENA_MAX) + " "
                + System.getenv(MallocArenaRelaunch.MARKER) + " " + System.getProperty("djlresnet.probe"));
        System.exit(Integer.parseInt(args[1]));
    }
}
