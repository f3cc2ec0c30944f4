package io.github.djlresnet.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.github.djlresnet.model.InvalidInputException;

/** Parses {@code --devices}: cpu, gpu (all GPUs) or a number of GPUs. */
public final class DeviceOption {

    private DeviceOption() {}

    public static Device[] parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("cpu")) {
            return new Device[] {Device.cpu()};
        }
        int available = Engine.getInstance().getGpuCount();
        int wanted;
        if (t.equals("gpu")) {
            wanted = available;
        } else {
            try {
                wanted = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(
                        "--devices must be cpu, gpu or a number of GPUs, got '" + text + "'");
            }
        }
        if (wanted < 1 || wanted > available) {
            throw new InvalidInputException(
                    "--devices " + text + ": " + available + " GPU(s) visible to LibTorch"
                            + (available == 0 ? " (build with -Pgpu on a CUDA machine)" : ""));
        }
        return Engine.getInstance().getDevices(wanted);
    }
}
