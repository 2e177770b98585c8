package cicd.support

import java.lang.reflect.Method
import java.lang.reflect.Modifier

import org.codehaus.groovy.runtime.DefaultGroovyMethods
import org.codehaus.groovy.runtime.StringGroovyMethods
import org.kohsuke.groovy.sandbox.GroovyInterceptor

/**
 * The script-security check, as the pipeline tests run it: a groovy-sandbox interceptor (the
 * library script-security itself is built on) that lets a call through only when its signature is
 * in cicd/sandbox-allowlist.txt, where every entry names the upstream file (and commit) that
 * makes it allowed in a stock Jenkins without script approval.
 *
 * Call-site selection follows script-security's SandboxInterceptor and GroovyCallSiteSelector:
 * the receiver's supertypes are searched first (so JSONObject.get is java.util.Map.get), then the
 * GDK classes (so List.join is DefaultGroovyMethods.join(Iterable, String)); a Map property read
 * arrives as Map.get (groovy-sandbox's Checker does that); calls on the script itself are steps,
 * Declarative directives, or methods the Jenkinsfile declares.
 */
class SandboxAllowlist extends GroovyInterceptor {

    static final List<Class> GDK_CLASSES = [DefaultGroovyMethods, StringGroovyMethods]
    /** Test stand-ins checked under the name of the Jenkins class they replace. */
    static final Map<Class, String> REAL_NAMES = [
        (FakeRunWrapper): FakeRunWrapper.REAL_CLASS,
        (FakeEnvAction): FakeEnvAction.REAL_CLASS,
    ]

    final Set<String> signatures = [] as Set
    final Set<String> steps = [] as Set
    final Set<String> globals = [] as Set
    /** Every signature actually used, so a test can flag allowlist entries nothing needs. */
    final Set<String> used = [] as Set
    final List<String> rejected = []
    Class scriptClass

    static SandboxAllowlist load(File file) {
        SandboxAllowlist allowlist = new SandboxAllowlist()
        file.eachLine { String line ->
            String entry = line.replaceAll(/\s+#.*$/, '').trim()
            if (!entry || entry.startsWith('#')) {
                return
            }
            if (!line.contains('# ')) {
                throw new IllegalArgumentException("allowlist entry without a cited source: ${line}")
            }
            if (entry.startsWith('step ')) {
                allowlist.steps << entry.substring(5).trim()
            } else if (entry.startsWith('global ')) {
                allowlist.globals << entry.substring(7).trim()
            } else {
                allowlist.signatures << entry
            }
        }
        return allowlist
    }

    private Object reject(String what) {
        rejected << what
        throw new SecurityException("Scripts not permitted to use ${what}")
    }

    private void permit(String signature) {
        used << signature
        if (!signatures.contains(signature)) {
            reject(signature)
        }
    }

    private boolean isScript(Object receiver) {
        return receiver instanceof Script || receiver instanceof Closure
    }

    private void permitScriptCall(String method) {
        if (scriptClass != null && scriptClass.declaredMethods.any { Method m -> m.name == method }) {
            return // a method the Jenkinsfile itself declares (ClassLoaderWhitelist)
        }
        used << "step ${method}".toString()
        if (!steps.contains(method)) {
            reject("step or directive ${method} (not in the allowlist)")
        }
    }

    static String typeName(Class c) {
        return REAL_NAMES[c] ?: (c.isArray() ? typeName(c.componentType) + '[]' : c.name)
    }

    static String signatureOf(Method m, Class receiverType = null) {
        String owner = typeName(receiverType != null && REAL_NAMES[receiverType] ? receiverType : m.declaringClass)
        String kind = Modifier.isStatic(m.modifiers) ? 'staticMethod' : 'method'
        List<String> params = m.parameterTypes.collect { Class p -> typeName(p) }
        return ([kind, owner, m.name] + params).join(' ')
    }

    /** Supertypes first, then the class itself (GroovyCallSiteSelector.types). */
    static List<Class> types(Class c) {
        List<Class> out = []
        if (c.superclass != null) {
            out.addAll(types(c.superclass))
        }
        c.interfaces.each { Class i -> out.addAll(types(i)) }
        if (!out.contains(c)) {
            out << c
        }
        return out.unique()
    }

    static boolean accepts(Class param, Object arg) {
        if (arg == null) {
            return !param.isPrimitive()
        }
        Class boxed = param.isPrimitive() ? ([
            (int): Integer, (long): Long, (boolean): Boolean, (double): Double, (float): Float,
            (char): Character, (byte): Byte, (short): Short,
        ][param]) : param
        return boxed.isInstance(arg) || (boxed == String && arg instanceof GString)
    }

    static boolean moreSpecific(Method a, Method b) {
        List<Class> pa = a.parameterTypes as List
        List<Class> pb = b.parameterTypes as List
        return (0..<pa.size()).every { int i -> pb[i].isAssignableFrom(pa[i]) }
    }

    static Method select(List<Method> candidates) {
        Method best = null
        candidates.each { Method m ->
            if (best == null || moreSpecific(m, best)) {
                best = m
            }
        }
        return best
    }

    static Method findMethod(Class type, String name, Object[] args) {
        for (Class c : types(type)) {
            List<Method> matching = c.declaredMethods.findAll { Method m ->
                m.name == name && !m.synthetic && m.parameterTypes.length == args.length &&
                    (0..<args.length).every { int i -> accepts(m.parameterTypes[i], args[i]) }
            }
            if (matching) {
                return select(matching)
            }
        }
        return null
    }

    static List<Method> gdkMethods(String name, Object self, Object[] args) {
        Object[] selfArgs = ([self] + (args as List)) as Object[]
        return GDK_CLASSES.collect { Class gdk -> findMethod(gdk, name, selfArgs) }.findAll { it != null }
    }

    @Override
    Object onMethodCall(GroovyInterceptor.Invoker invoker, Object receiver, String method, Object... args) {
        if (isScript(receiver) && method == 'invokeMethod' && args.length == 2 && args[0] instanceof String) {
            // A step called inside a closure: groovy-sandbox dispatches it as the script's
            // invokeMethod(name, args), which CpsWhitelist allows on CpsScript (the DSL).
            permitScriptCall(args[0] as String)
        } else if (isScript(receiver)) {
            permitScriptCall(method)
        } else {
            Method m = findMethod(receiver.getClass(), method, args)
            if (m != null) {
                permit(signatureOf(m, receiver.getClass()))
            } else {
                List<String> gdk = gdkMethods(method, receiver, args).collect { signatureOf(it) }
                String allowed = gdk.find { signatures.contains(it) }
                permit(allowed ?: (gdk ? gdk[0] : "method ${typeName(receiver.getClass())} ${method}".toString()))
            }
        }
        return super.onMethodCall(invoker, receiver, method, args)
    }

    @Override
    Object onStaticCall(GroovyInterceptor.Invoker invoker, Class receiver, String method, Object... args) {
        Method m = findMethod(receiver, method, args)
        permit(m != null ? signatureOf(m) : "staticMethod ${receiver.name} ${method}".toString())
        return super.onStaticCall(invoker, receiver, method, args)
    }

    @Override
    Object onNewInstance(GroovyInterceptor.Invoker invoker, Class receiver, Object... args) {
        permit(([ 'new', typeName(receiver)] + args.collect { typeName(it.getClass()) }).join(' '))
        return super.onNewInstance(invoker, receiver, args)
    }

    @Override
    Object onGetProperty(GroovyInterceptor.Invoker invoker, Object receiver, String property) {
        if (isScript(receiver)) {
            used << "global ${property}".toString()
            if (!globals.contains(property)) {
                reject("global variable or property ${property} (not in the allowlist)")
            }
        } else if (receiver instanceof FakeEnvAction) {
            permit("method ${FakeEnvAction.REAL_CLASS} getProperty java.lang.String")
        } else {
            String getter = 'get' + property.capitalize()
            Method m = findMethod(receiver.getClass(), getter, [] as Object[]) ?:
                findMethod(receiver.getClass(), 'is' + property.capitalize(), [] as Object[])
            permit(m != null ? signatureOf(m, receiver.getClass()) : "field ${typeName(receiver.getClass())} ${property}")
        }
        return super.onGetProperty(invoker, receiver, property)
    }

    @Override
    Object onSetProperty(GroovyInterceptor.Invoker invoker, Object receiver, String property, Object value) {
        if (receiver instanceof FakeEnvAction) {
            permit("method ${FakeEnvAction.REAL_CLASS} setProperty java.lang.String java.lang.Object")
        } else if (!isScript(receiver)) { // script properties (and Declarative's environment{}) are the script's own
            String setter = 'set' + property.capitalize()
            Method m = receiver.getClass().methods.find { Method candidate ->
                candidate.name == setter && candidate.parameterTypes.length == 1
            }
            permit(m != null ? signatureOf(m, receiver.getClass()) : "field ${typeName(receiver.getClass())} ${property}")
        }
        return super.onSetProperty(invoker, receiver, property, value)
    }

    @Override
    Object onGetAttribute(GroovyInterceptor.Invoker invoker, Object receiver, String attribute) {
        permit("field ${typeName(receiver.getClass())} ${attribute}")
        return super.onGetAttribute(invoker, receiver, attribute)
    }

    @Override
    Object onSetAttribute(GroovyInterceptor.Invoker invoker, Object receiver, String attribute, Object value) {
        permit("field ${typeName(receiver.getClass())} ${attribute}")
        return super.onSetAttribute(invoker, receiver, attribute, value)
    }
}
