// build.ts bundles .css files as minified strings (the banner injects them in a <style>).
declare module '*.css' {
  const css: string;
  export default css;
}
