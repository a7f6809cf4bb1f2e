package io.pushgate.core;

/**
 * How long a ban may last, the same for every way of asking for one (the API's and the admin page's
 * kicks): whole seconds from 1 to {@value #MAX_SECONDS} (30 days), so a typo cannot ban a uid for good.
 */
public final class BanLength {

    public static final long MAX_SECONDS = 30L * 24 * 3600;

    private BanLength() {
    }

    /**
     * @param seconds the ban's length as the caller wrote it
     * @return when the ban ends, in epoch ms
     * @throws IllegalArgumentException when {@code seconds} is not a whole number in range; the message
     *                                  says what is allowed and can be shown to the caller
     */
    public static long untilMillis(String seconds, long nowMillis) {
        long parsed;
        try {
            parsed = Long.parseLong(seconds);
        } catch (NumberFormatException e) {
            parsed = -1;
        }
        if (parsed < 1 || parsed > MAX_SECONDS) {
            throw new IllegalArgumentException("ban must be whole seconds from 1 to " + MAX_SECONDS);
        }
        return nowMillis + parsed * 1000;
    }
}
