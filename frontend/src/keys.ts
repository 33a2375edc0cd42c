/** Every keyboard shortcut of the player, in one list: the key handler and the help overlay both read it. */

export interface Shortcut {
  keys: string[]; // KeyboardEvent.key values (Shift+ prefix for shifted)
  label: string; // shown in the help overlay
  action: string;
  group: "Playback" | "Compare" | "Notes & picks" | "General";
}

export const SHORTCUTS: Shortcut[] = [
  { keys: [" "], label: "Space", action: "toggle-play", group: "Playback" },
  { keys: ["ArrowRight"], label: "→", action: "step+1", group: "Playback" },
  { keys: ["ArrowLeft"], label: "←", action: "step-1", group: "Playback" },
  { keys: ["Shift+ArrowRight"], label: "Shift →", action: "step+10", group: "Playback" },
  { keys: ["Shift+ArrowLeft"], label: "Shift ←", action: "step-10", group: "Playback" },
  { keys: ["Home"], label: "Home", action: "go-start", group: "Playback" },
  { keys: ["End"], label: "End", action: "go-end", group: "Playback" },
  { keys: ["j"], label: "J", action: "shuttle-back", group: "Playback" },
  { keys: ["k"], label: "K", action: "stop", group: "Playback" },
  { keys: ["l"], label: "L", action: "shuttle-forward", group: "Playback" },
  { keys: ["i"], label: "I", action: "set-in", group: "Playback" },
  { keys: ["o"], label: "O", action: "set-out", group: "Playback" },
  { keys: ["Shift+I", "Shift+O"], label: "Shift I / O", action: "clear-in-out", group: "Playback" },
  { keys: ["p"], label: "P", action: "toggle-loop", group: "Playback" },
  { keys: ["["], label: "[", action: "slower", group: "Playback" },
  { keys: ["]"], label: "]", action: "faster", group: "Playback" },
  { keys: ["m"], label: "M", action: "toggle-mute", group: "Playback" },
  { keys: ["1"], label: "1", action: "views-1", group: "Compare" },
  { keys: ["2"], label: "2", action: "views-2", group: "Compare" },
  { keys: ["3"], label: "3", action: "views-3", group: "Compare" },
  { keys: ["4"], label: "4", action: "views-4", group: "Compare" },
  { keys: ["g"], label: "G", action: "mode-grid", group: "Compare" },
  { keys: ["w"], label: "W", action: "mode-wipe", group: "Compare" },
  { keys: ["b"], label: "B", action: "mode-ab", group: "Compare" },
  { keys: ["e"], label: "E", action: "mode-edit", group: "Compare" },
  { keys: ["z"], label: "Z", action: "toggle-loupe", group: "Compare" },
  { keys: ["d"], label: "D", action: "toggle-draw", group: "Notes & picks" },
  { keys: ["n"], label: "N", action: "new-note", group: "Notes & picks" },
  { keys: ["s"], label: "S", action: "split", group: "Notes & picks" },
  { keys: ["?", "Shift+?"], label: "?", action: "help", group: "General" },
  { keys: ["Escape"], label: "Esc", action: "escape", group: "General" },
];

export const DESCRIPTIONS: Record<string, string> = {
  "toggle-play": "Play / pause",
  "step+1": "Next frame",
  "step-1": "Previous frame",
  "step+10": "10 frames forward",
  "step-10": "10 frames back",
  "go-start": "First frame (in point when set)",
  "go-end": "Last frame (out point when set)",
  "shuttle-back": "Play backwards; again: faster",
  stop: "Stop",
  "shuttle-forward": "Play forwards; again: faster",
  "set-in": "Set in point at this frame",
  "set-out": "Set out point at this frame",
  "clear-in-out": "Clear in and out points",
  "toggle-loop": "Loop over in / out on or off",
  slower: "Slower playback",
  faster: "Faster playback",
  "toggle-mute": "Sound on / off (heard at 1x only)",
  "views-1": "One view",
  "views-2": "Two views side by side",
  "views-3": "Three views",
  "views-4": "Four views",
  "mode-grid": "Side by side",
  "mode-wipe": "Wipe between the first two views (drag the split)",
  "mode-ab": "A/B: toggle between the first two views",
  "mode-edit": "Play the pick: each range shows the variant the edit puts there, with its dissolves",
  "toggle-loupe": "Loupe: magnify the face (or under the pointer), in every view",
  "toggle-draw": "Draw on the frame for a new note",
  "new-note": "Write a note on this frame",
  split: "Split the edit at this frame (supervisor)",
  help: "Show / hide this help",
  escape: "Close help, stop drawing",
};

/** The action for a key event, or null. Shift is part of the key only where a shortcut asks for it. */
export function actionFor(ev: { key: string; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): string | null {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return null;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  const named = ev.shiftKey ? `Shift+${ev.key.length === 1 ? ev.key.toUpperCase() : ev.key}` : key;
  for (const s of SHORTCUTS) if (s.keys.includes(named)) return s.action;
  if (ev.key === "?") return "help";
  return null;
}
