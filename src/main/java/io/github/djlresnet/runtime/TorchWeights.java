package io.github.djlresnet.runtime;

import io.github.djlresnet.model.InvalidInputException;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.model.TorchvisionNames;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Weights named as torchvision names them, from either a safetensors file (torchvision, timm, or
 * this project's {@code export --format safetensors}) or a model folder of this project (a run
 * folder or an {@code export}/{@code import} output). Training's {@code --init} and serving's
 * {@code export --format safetensors} both read through this class, so each sees one kind of source.
 *
 * <p>Tensors whose name ends in {@code num_batches_tracked} (torch's BatchNorm step counters) are
 * left out: nothing here uses them.
 */
public final class TorchWeights {

    /** Keys of a model folder's serving.properties (written by the serving package, which runtime cannot see). */
    private static final String PROPERTIES = "serving.properties";
    private static final String SYNSET = "synset.txt";

    private final String origin;
    private final Map<String, long[]> shapes;
    private final Map<String, String> dtypes;
    private final SafeTensors file; // null for a model folder
    private final Map<String, float[]> values; // for a model folder
    private final ResNetConfig config; // a model folder's architecture, else null
    private final Map<String, String> metadata;
    private final List<String> classNames; // null when unknown

    private TorchWeights(String origin, Map<String, long[]> shapes, Map<String, String> dtypes, SafeTensors file,
            Map<String, float[]> values, ResNetConfig config, Map<String, String> metadata, List<String> classNames) {
        this.origin = origin;
        this.shapes = shapes;
        this.dtypes = dtypes;
        this.file = file;
        this.values = values;
        this.config = config;
        this.metadata = metadata;
        this.classNames = classNames;
    }

    /** A safetensors file, or a folder holding a model this project wrote. */
    public static TorchWeights open(Path source) {
        return Files.isDirectory(source) ? fromModelFolder(source) : fromSafeTensors(source);
    }

    public static TorchWeights fromSafeTensors(Path path) {
        SafeTensors st = SafeTensors.open(path);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        st.entries().forEach((name, e) -> {
            if (!name.endsWith("num_batches_tracked")) {
                shapes.put(name, e.shape());
                dtypes.put(name, e.dtype());
            }
        });
        // export --format safetensors writes the class names beside the file
        Path synset = path.toAbsolutePath().resolveSibling(SYNSET);
        return new TorchWeights(path.toString(), shapes, dtypes, st, null, null, st.metadata(), classNames(synset));
    }

    /**
     * A model folder: its {@code serving.properties} gives the architecture and the params file,
     * which DJL loads into a ResNet of that architecture; the arrays are then copied out by name.
     */
    public static TorchWeights fromModelFolder(Path dir) {
        Properties p = new Properties();
        Path propsFile = dir.resolve(PROPERTIES);
        if (!Files.isRegularFile(propsFile)) {
            throw new InvalidInputException(dir + " is a folder without " + PROPERTIES
                    + ": not a model folder (a run that finished, or an export or import output)");
        }
        ResNetConfig config;
        String name;
        int epoch;
        try (Reader r = Files.newBufferedReader(propsFile, StandardCharsets.ISO_8859_1)) {
            p.load(r);
            config = new ResNetConfig(Integer.parseInt(p.getProperty("depth", "").trim()),
                    Integer.parseInt(p.getProperty("classes", "").trim()),
                    Integer.parseInt(p.getProperty("inputChannels", "").trim()),
                    Stem.parse(p.getProperty("stem", "")), Shortcut.parse(p.getProperty("shortcut", "")));
            name = p.getProperty("option.modelName", dir.getFileName().toString()).trim();
            epoch = Integer.parseInt(p.getProperty("option.epoch", "").trim());
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidInputException("cannot read the model in " + dir + " (" + propsFile.getFileName()
                    + "): " + e.getMessage());
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        try (Model model = Model.newInstance(name, "PyTorch")) {
            model.setBlock(ResNet.build(config));
            model.load(dir, name, Map.of("epoch", String.valueOf(epoch)));
            ParameterList params = model.getBlock().getParameters();
            for (TorchvisionNames.Tensor t : TorchvisionNames.of(config)) {
                Parameter param = params.get(t.djlPath());
                if (param == null || !param.isInitialized()) {
                    throw new InvalidInputException("the model in " + dir + " has no values for " + t.torchName());
                }
                shapes.put(t.torchName(), param.getArray().getShape().getShape());
                dtypes.put(t.torchName(), "F32");
                values.put(t.torchName(), param.getArray().toFloatArray());
            }
        } catch (IOException | MalformedModelException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            String m = String.valueOf(e.getMessage());
            throw new InvalidInputException("cannot load the model parameters in " + dir + ": "
                    + (m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m));
        }
        return new TorchWeights(dir.toString(), shapes, dtypes, null, values, config, Map.of(),
                classNames(dir.resolve(SYNSET)));
    }

    /** The file or folder the weights come from. */
    public String origin() {
        return origin;
    }

    /** Every tensor's shape by name, in the source's order. */
    public Map<String, long[]> shapes() {
        return shapes;
    }

    /** Every tensor's safetensors dtype by name ({@code F32} for a model folder). */
    public Map<String, String> dtypes() {
        return dtypes;
    }

    /** Whether {@link #floats} can read this tensor. */
    public boolean isFloat(String name) {
        return SafeTensors.FLOAT_DTYPES.contains(dtypes.get(name));
    }

    /** A tensor's values as float32. */
    public float[] floats(String name) {
        return file != null ? file.floats(name) : values.get(name).clone();
    }

    /** The architecture of a model folder; null for a safetensors file (infer it from the names). */
    public ResNetConfig folderConfig() {
        return config;
    }

    /**
     * The class names of the source's head, line i = class i: a model folder's {@code synset.txt}, or
     * the one beside a safetensors file; null when there is none.
     */
    public List<String> classNames() {
        return classNames;
    }

    private static List<String> classNames(Path synset) {
        if (!Files.isRegularFile(synset)) {
            return null;
        }
        try {
            List<String> names = new ArrayList<>(Files.readAllLines(synset, StandardCharsets.UTF_8));
            while (!names.isEmpty() && names.get(names.size() - 1).isBlank()) {
                names.remove(names.size() - 1);
            }
            return List.copyOf(names);
        } catch (IOException e) {
            return null; // unknown names: the head is matched by shape alone
        }
    }

    /** The safetensors {@code __metadata__} (empty for a model folder). */
    public Map<String, String> metadata() {
        return metadata;
    }
}
