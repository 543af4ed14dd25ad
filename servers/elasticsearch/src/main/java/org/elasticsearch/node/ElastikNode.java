package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;

/**
 * A production {@link Node} whose plugins are classes on the classpath.
 *
 * <p>The published artifacts carry no distribution (no {@code modules/} folder of plugin
 * bundles), so plugins are loaded the way Elasticsearch's own tests load them: with the
 * test framework's {@link MockPluginsService}. Unlike {@code MockNode} this pulls in
 * nothing else of the test framework (no randomized-testing context, no mock transport,
 * no mock big arrays): every other service is the server's own.
 *
 * <p>It lives in {@code org.elasticsearch.node} because {@link NodeConstruction} and
 * {@link NodeServiceProvider} are package-private.
 */
public final class ElastikNode extends Node {
    public ElastikNode(Environment environment, Collection<Class<? extends Plugin>> classpathPlugins) {
        super(NodeConstruction.prepareConstruction(environment, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader pluginsLoader) {
                return new MockPluginsService(env.settings(), env, classpathPlugins);
            }
        }, true));
    }
}
