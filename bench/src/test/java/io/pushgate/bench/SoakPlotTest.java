package io.pushgate.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's plot: a PNG of the asked size, drawn with both series, headless. */
class SoakPlotTest {

    @TempDir
    Path dir;

    private static List<Growth.Sample> samples() {
        List<Growth.Sample> out = new ArrayList<>();
        for (int minute = 0; minute <= 30; minute++) {
            out.add(new Growth.Sample(minute * 60.0, (600 + Math.min(minute, 5) * 10L) * 1024,
                    (60 + Math.min(minute, 3) * 30L) * 1024));
        }
        return out;
    }

    @Test
    void writesAPngOfTheRightSize() throws IOException {
        Path png = dir.resolve("sub/soak.png");
        SoakPlot.write(samples(), 300, 5, "pushgate soak test", png, 1000, 560);

        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1000, image.getWidth());
        assertEquals(560, image.getHeight());
        // the two series are drawn in their colours
        assertTrue(count(image, SoakPlot.RSS.getRGB()) > 100, "RSS pixels");
        assertTrue(count(image, SoakPlot.HEAP.getRGB()) > 100, "heap pixels");
        assertNotEquals(0, count(image, 0xff000000), "black text and axes");
    }

    @Test
    void copesWithOneSampleAndUnmeasuredValues() throws IOException {
        Path png = dir.resolve("one.png");
        SoakPlot.write(List.of(new Growth.Sample(0, 500 * 1024, -1)), 60, 5, "one", png, 400, 300);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(400, image.getWidth());
        assertEquals(300, image.getHeight());
        SoakPlot.write(List.of(), 0, 5, "none", png, 320, 200);
        assertEquals(320, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void niceSteps() {
        assertEquals(5, SoakPlot.niceStep(30, 10), 1e-9);
        assertEquals(100, SoakPlot.niceStep(700, 8), 1e-9);
        assertEquals(0.5, SoakPlot.niceStep(3, 10), 1e-9);
    }

    @Test
    void theCsvGoesBesideThePlot() {
        assertEquals(Path.of("docs/soak.csv"), Soak.csvPath(Path.of("docs/soak.png")));
        assertEquals(Path.of("plot.csv"), Soak.csvPath(Path.of("plot")));
    }

    private static int count(BufferedImage image, int argb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (image.getRGB(x, y) == argb) {
                    n++;
                }
            }
        }
        return n;
    }
}
