/**
 * The admin page, {@code /admin/} (static files in {@code static/admin/}), and the JSON API it calls,
 * {@code /admin/api/**}, for operators holding an admin key ({@code pushgate.admin.keys}). An adapter
 * like the backend API: it reads the node through {@link io.pushgate.core.ApiRole} and changes things
 * through the {@link io.pushgate.core.Broker}. Without an admin key configured, all of it answers 404.
 */
@NullMarked
package io.pushgate.admin;

import org.jspecify.annotations.NullMarked;
