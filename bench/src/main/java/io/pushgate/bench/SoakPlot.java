package io.pushgate.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

import javax.imageio.ImageIO;

/**
 * Draws the soak's samples as a PNG with the JDK alone (headless AWT, ImageIO): RSS and heap after a
 * full GC in MiB over minutes, the settle period, and each series' limit over its baseline.
 */
final class SoakPlot {

    static final Color RSS = new Color(0x1f, 0x77, 0xb4);
    static final Color HEAP = new Color(0xd6, 0x61, 0x0b);
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;

    private SoakPlot() {
    }

    /** Writes the plot of {@code samples} to {@code png} (its folder is made), {@code width} × {@code height} pixels. */
    static void write(List<Growth.Sample> samples, double settleSeconds, double limitPct, String title, Path png,
                      int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            draw(g, samples, settleSeconds, limitPct, title, width, height);
        } finally {
            g.dispose();
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    private static void draw(Graphics2D g, List<Growth.Sample> samples, double settleSeconds, double limitPct,
                             String title, int width, int height) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int x0 = LEFT;
        int x1 = width - RIGHT;
        int y0 = height - BOTTOM;
        int y1 = TOP;

        double maxMinutes = Math.max(settleSeconds / 60, 1e-9);
        double maxMib = 1;
        for (Growth.Sample s : samples) {
            maxMinutes = Math.max(maxMinutes, s.seconds() / 60);
            maxMib = Math.max(maxMib, Math.max(s.rssKib(), s.heapKib()) / 1024.0);
        }
        Growth.Verdict verdict = Growth.check(samples, settleSeconds, limitPct);
        Growth.Sample base = verdict.baseline();
        if (base != null) {
            maxMib = Math.max(maxMib, base.rssKib() / 1024.0 * (1 + limitPct / 100));
        }
        double xStep = niceStep(maxMinutes, 10);
        // a last sample a few seconds late adds no step
        double xMax = Math.max(Math.ceil(maxMinutes / xStep - 0.05) * xStep, maxMinutes);
        double yStep = niceStep(maxMib * 1.05, 8);
        double yMax = Math.ceil(maxMib * 1.05 / yStep) * yStep;
        Scale sx = v -> x0 + (x1 - x0) * v / xMax;
        Scale sy = v -> y0 - (y0 - y1) * v / yMax;

        Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        g.setFont(plain);
        FontMetrics fm = g.getFontMetrics();
        // grid and ticks
        for (double v = 0; v <= yMax + yStep / 2; v += yStep) {
            int y = (int) Math.round(sy.at(v));
            g.setColor(new Color(0xe6, 0xe6, 0xe6));
            g.drawLine(x0, y, x1, y);
            g.setColor(Color.DARK_GRAY);
            String label = label(v, yStep);
            g.drawString(label, x0 - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
        }
        for (double v = 0; v <= xMax + xStep / 2; v += xStep) {
            int x = (int) Math.round(sx.at(v));
            g.setColor(new Color(0xe6, 0xe6, 0xe6));
            g.drawLine(x, y0, x, y1);
            g.setColor(Color.DARK_GRAY);
            String label = label(v, xStep);
            g.drawString(label, x - fm.stringWidth(label) / 2, y0 + fm.getAscent() + 6);
        }
        g.setColor(Color.BLACK);
        g.drawLine(x0, y0, x1, y0);
        g.drawLine(x0, y0, x0, y1);

        // settle period and limits
        Stroke dashed = new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 5}, 0);
        Stroke solid = g.getStroke();
        if (settleSeconds > 0) {
            int x = (int) Math.round(sx.at(settleSeconds / 60));
            g.setColor(new Color(0xf2, 0xf2, 0xf2));
            g.fillRect(x0 + 1, y1, x - x0 - 1, y0 - y1);
            g.setColor(Color.GRAY);
            g.setStroke(dashed);
            g.drawLine(x, y0, x, y1);
            g.setStroke(solid);
            g.drawString("settle", x0 + 6, y1 + fm.getAscent() + 4);
        }
        if (base != null) {
            limitLine(g, sx, sy, dashed, solid, base.seconds() / 60, xMax, base.rssKib() / 1024.0 * (1 + limitPct / 100),
                    RSS, String.format(Locale.ROOT, "RSS +%.0f%%", limitPct), fm);
            limitLine(g, sx, sy, dashed, solid, base.seconds() / 60, xMax, base.heapKib() / 1024.0 * (1 + limitPct / 100),
                    HEAP, String.format(Locale.ROOT, "heap +%.0f%%", limitPct), fm);
        }

        series(g, samples, sx, sy, Growth.Sample::rssKib, RSS);
        series(g, samples, sx, sy, Growth.Sample::heapKib, HEAP);

        // legend, half-way up: RSS is above, the heap below
        int lx = x1 - 230;
        int ly = (y0 + y1) / 2 - 22;
        g.setColor(Color.WHITE);
        g.fillRect(lx, ly, 222, 44);
        g.setColor(Color.GRAY);
        g.drawRect(lx, ly, 222, 44);
        legend(g, lx + 10, ly + 15, RSS, "server RSS");
        legend(g, lx + 10, ly + 34, HEAP, "server heap after full GC");

        // labels and title
        g.setColor(Color.BLACK);
        String xl = "time since the load started (minutes)";
        g.drawString(xl, (x0 + x1 - fm.stringWidth(xl)) / 2, height - 22);
        AffineTransform saved = g.getTransform();
        String yl = "MiB";
        g.rotate(-Math.PI / 2);
        g.drawString(yl, -(y0 + y1 + fm.stringWidth(yl)) / 2, 24);
        g.setTransform(saved);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        FontMetrics tm = g.getFontMetrics();
        g.drawString(title, (width - tm.stringWidth(title)) / 2, 28);
        if (verdict.compared() > 0) {
            g.setFont(plain);
            String sub = String.format(Locale.ROOT,
                    "largest growth after the settle period, medians of 3 samples: RSS %+.1f%%, heap after GC %+.1f%% (limit %.0f%%)",
                    verdict.rssGrowthPct(), verdict.heapGrowthPct(), limitPct);
            g.drawString(sub, (width - fm.stringWidth(sub)) / 2, 48);
        }
    }

    private interface Scale {
        double at(double v);
    }

    private static void limitLine(Graphics2D g, Scale sx, Scale sy, Stroke dashed, Stroke solid, double fromMinutes,
                                  double toMinutes, double mib, Color color, String label, FontMetrics fm) {
        int y = (int) Math.round(sy.at(mib));
        int xa = (int) Math.round(sx.at(fromMinutes));
        int xb = (int) Math.round(sx.at(toMinutes));
        g.setColor(color.brighter());
        g.setStroke(dashed);
        g.drawLine(xa, y, xb, y);
        g.setStroke(solid);
        g.drawString(label, xb - fm.stringWidth(label) - 4, y - 4);
    }

    private static void series(Graphics2D g, List<Growth.Sample> samples, Scale sx, Scale sy,
                               ToLongFunction<Growth.Sample> value, Color color) {
        Path2D.Double line = new Path2D.Double();
        boolean started = false;
        g.setColor(color);
        for (Growth.Sample s : samples) {
            long kib = value.applyAsLong(s);
            if (kib <= 0) {
                continue;
            }
            double x = sx.at(s.seconds() / 60);
            double y = sy.at(kib / 1024.0);
            if (started) {
                line.lineTo(x, y);
            } else {
                line.moveTo(x, y);
                started = true;
            }
            g.fillOval((int) Math.round(x) - 3, (int) Math.round(y) - 3, 7, 7);
        }
        g.setStroke(new BasicStroke(2f));
        g.draw(line);
        g.setStroke(new BasicStroke(1f));
    }

    private static void legend(Graphics2D g, int x, int y, Color color, String text) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        g.drawLine(x, y - 4, x + 24, y - 4);
        g.fillOval(x + 9, y - 7, 7, 7);
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        g.drawString(text, x + 32, y);
    }

    /** 1, 2 or 5 × 10^k, so that {@code range} takes about {@code ticks} steps. */
    static double niceStep(double range, int ticks) {
        double raw = Math.max(range, 1e-9) / ticks;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    }

    private static String label(double v, double step) {
        return step >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
