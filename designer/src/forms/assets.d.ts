/** An asset the bundler copies to the build and imports as its URL. */
declare module '*.json?url' {
  const url: string;
  export default url;
}
