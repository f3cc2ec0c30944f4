package io.github.djlresnet.cli;

/** Parses "c,h,w" option values. */
final class InputShape {

    private InputShape() {}

    static int[] parse(String text) {
        String[] parts = text.split(",");
        if (parts.length != 3) {
            throw new UserError("input shape must be channels,height,width, got '" + text + "'");
        }
        int[] chw = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                chw[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UserError("input shape must be three integers, got '" + text + "'");
            }
        }
        return chw;
    }
}
