package io.github.djlresnet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TorchvisionNamesTest {

    private static Map<String, TorchvisionNames.Tensor> byName(ResNetConfig c) {
        return TorchvisionNames.of(c).stream()
                .collect(Collectors.toMap(TorchvisionNames.Tensor::torchName, Function.identity()));
    }

    private static long trainable(List<TorchvisionNames.Tensor> tensors) {
        return tensors.stream().filter(t -> !t.torchName().contains("running_"))
                .mapToLong(t -> java.util.Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b)).sum();
    }

    @Test
    void countsMatchTorchvisionsStateDict() {
        // torchvision's state dicts without num_batches_tracked: 102 (resnet18) and 182 (resnet34)
        // tensors (bench/interop_fixture.py printed them); parameter counts from torchvision
        List<TorchvisionNames.Tensor> r18 = TorchvisionNames.of(new ResNetConfig(18, 1000, 3, Stem.IMAGENET, Shortcut.B));
        List<TorchvisionNames.Tensor> r34 = TorchvisionNames.of(ResNetConfig.resnet34(1000, 3));
        assertEquals(102, r18.size());
        assertEquals(182, r34.size());
        assertEquals(11_689_512L, trainable(r18));
        assertEquals(21_797_672L, trainable(r34));
        assertEquals(21_283_530L, trainable(TorchvisionNames.of(ResNetConfig.resnet34(10, 1))));
    }

    @Test
    void namesAndShapes() {
        Map<String, TorchvisionNames.Tensor> t = byName(ResNetConfig.resnet34(10, 1));
        assertArrayEquals(new long[] {64, 1, 7, 7}, t.get("conv1.weight").shape());
        assertArrayEquals(new long[] {64}, t.get("bn1.running_var").shape());
        assertArrayEquals(new long[] {128, 64, 1, 1}, t.get("layer2.0.downsample.0.weight").shape());
        assertArrayEquals(new long[] {512}, t.get("layer4.0.downsample.1.bias").shape());
        assertArrayEquals(new long[] {256, 256, 3, 3}, t.get("layer3.5.conv2.weight").shape());
        assertArrayEquals(new long[] {10, 512}, t.get("fc.weight").shape());
        assertFalse(t.containsKey("layer1.0.downsample.0.weight"));
        assertFalse(t.containsKey("layer3.6.conv1.weight"));
        assertEquals("06ReleasingSequentialBlock_03Linear_bias", t.get("fc.bias").djlPath());
        assertArrayEquals(new long[] {64, 3, 3, 3},
                byName(new ResNetConfig(18, 10, 3, Stem.SMALL, Shortcut.B)).get("conv1.weight").shape());
    }

    @Test
    void optionCNamesEveryProjectionAndOptionANone() {
        Map<String, TorchvisionNames.Tensor> c = byName(new ResNetConfig(18, 10, 3, Stem.IMAGENET, Shortcut.C));
        Map<String, TorchvisionNames.Tensor> a = byName(new ResNetConfig(18, 10, 3, Stem.IMAGENET, Shortcut.A));
        assertArrayEquals(new long[] {64, 64, 1, 1}, c.get("layer1.0.downsample.0.weight").shape());
        assertFalse(a.keySet().stream().anyMatch(n -> n.contains("downsample")));
        assertThrows(IllegalArgumentException.class,
                () -> TorchvisionNames.requireTorchvision(new ResNetConfig(18, 10, 3, Stem.IMAGENET, Shortcut.A)));
        TorchvisionNames.requireTorchvision(ResNetConfig.resnet34(10, 3));
    }

    @Test
    void parts() {
        assertEquals(0, TorchvisionNames.partOf("conv1.weight"));
        assertEquals(0, TorchvisionNames.partOf("bn1.bias"));
        assertEquals(3, TorchvisionNames.partOf("layer3.0.downsample.1.weight"));
        assertEquals(5, TorchvisionNames.partOf("fc.weight"));
        assertEquals(-1, TorchvisionNames.partOf("layer5.0.conv1.weight"));
        assertEquals(-1, TorchvisionNames.partOf("head.weight"));
    }
}
