package io.fibonaccirpc.wire;

/** A caller's or a server's text as an error message may quote it: printable, and short. */
public final class InputText {

    private InputText() {
    }

    /**
     * The text with every control or otherwise unprintable character written as an escape (backslash n, backslash t,
     * or backslash u and four hexadecimal digits) and a backslash as two, cut once the quote has {@code max}
     * characters, with the original's length said.
     */
    public static String quote(String text, int max) {
        StringBuilder quoted = new StringBuilder();
        int i = 0;
        for (; i < text.length() && quoted.length() < max; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || !printable(c)) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        if (i < text.length()) {
            quoted.append("... (").append(text.length()).append(" characters)");
        }
        return quoted.toString();
    }

    private static boolean printable(char c) {
        int type = Character.getType(c);
        return type != Character.UNASSIGNED && type != Character.FORMAT && type != Character.PRIVATE_USE
                && type != Character.SURROGATE && type != Character.LINE_SEPARATOR
                && type != Character.PARAGRAPH_SEPARATOR;
    }
}
