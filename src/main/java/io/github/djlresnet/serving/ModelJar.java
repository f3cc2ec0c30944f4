package io.github.djlresnet.serving;

import io.github.djlresnet.model.ResNet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Builds the small jar an exported folder carries so that any DJL app can rebuild the block: the
 * whole model package and the serving classes {@link ResNetBlockFactory} needs. The class files
 * are copied from wherever this build runs from (a classes directory or a jar), so the jar always
 * matches the code that wrote the parameters.
 */
final class ModelJar {

    /** Serving classes the factory uses at load time (nested classes come along). */
    private static final List<Class<?>> SERVING_CLASSES =
            List.of(ResNetBlockFactory.class, NormalizedBlock.class, ServingArguments.class);

    /** Fixed entry time: the same classes give the same jar bytes. */
    private static final long ENTRY_TIME = 315_532_800_000L + 86_400_000L; // 1980-01-02

    private ModelJar() {}

    static void write(Path jar) throws IOException {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        collect(ResNet.class, name -> true, entries);
        for (Class<?> c : SERVING_CLASSES) {
            String simple = c.getSimpleName();
            collect(c, name -> name.equals(simple) || name.startsWith(simple + "$"), entries);
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Created-By", "djl-resnet export");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream jos = new JarOutputStream(out)) {
            JarEntry me = new JarEntry(JarFile.MANIFEST_NAME);
            me.setTime(ENTRY_TIME);
            jos.putNextEntry(me);
            manifest.write(jos);
            jos.closeEntry();
            for (var e : entries.entrySet()) {
                JarEntry entry = new JarEntry(e.getKey());
                entry.setTime(ENTRY_TIME);
                jos.putNextEntry(entry);
                jos.write(e.getValue());
                jos.closeEntry();
            }
        }
    }

    /** Adds the class files of {@code anchor}'s package whose simple name passes {@code accept}. */
    private static void collect(
            Class<?> anchor, java.util.function.Predicate<String> accept, TreeMap<String, byte[]> out)
            throws IOException {
        String dir = anchor.getPackageName().replace('.', '/') + "/";
        URL url = anchor.getResource(anchor.getSimpleName() + ".class");
        if (url == null) {
            throw new IOException("cannot find the class file of " + anchor.getName());
        }
        List<String> found = new ArrayList<>();
        if ("file".equals(url.getProtocol())) {
            Path packageDir;
            try {
                packageDir = Paths.get(url.toURI()).getParent();
            } catch (URISyntaxException e) {
                throw new IOException("bad class file location " + url, e);
            }
            try (Stream<Path> files = Files.list(packageDir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String file = f.getFileName().toString();
                    if (file.endsWith(".class") && accept.test(file.substring(0, file.length() - 6))) {
                        out.put(dir + file, Files.readAllBytes(f));
                        found.add(file);
                    }
                }
            }
        } else if ("jar".equals(url.getProtocol())) {
            JarURLConnection connection = (JarURLConnection) url.openConnection();
            connection.setUseCaches(false);
            try (JarFile source = connection.getJarFile()) {
                Enumeration<JarEntry> all = source.entries();
                while (all.hasMoreElements()) {
                    JarEntry e = all.nextElement();
                    String name = e.getName();
                    if (name.startsWith(dir) && name.endsWith(".class") && name.indexOf('/', dir.length()) < 0
                            && accept.test(name.substring(dir.length(), name.length() - 6))) {
                        try (InputStream in = source.getInputStream(e)) {
                            out.put(name, in.readAllBytes());
                        }
                        found.add(name);
                    }
                }
            }
        } else {
            throw new IOException("cannot copy classes from " + url + " (not a directory or jar)");
        }
        if (found.isEmpty()) {
            throw new IOException("found no class files for " + anchor.getName() + " at " + url);
        }
    }
}
