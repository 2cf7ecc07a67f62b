/** How the shown label map is drawn: class colours, hidden classes, opacity and outline mode. */
import { defineStore } from 'pinia';
import { labelClasses, type LabelClass, type RGB } from '../core/labels.ts';
import { useVolumesStore } from './volumes.ts';
import { useProjectStore } from './project.ts';

export const useLabelsStore = defineStore('labels', {
  state: () => ({
    opacity: 0.5,
    outline: false,
    /** Hidden label values. */
    hidden: [] as number[],
    /** Colours the user picked, by value. */
    colorOverrides: {} as Record<number, RGB>,
    showSurfaces: true,
  }),
  getters: {
    /** The class table: the project's classes, else the label volume's own table, else default colours. */
    classes(): LabelClass[] {
      const label = useVolumesStore().label;
      if (!label) return [];
      const projectClasses = useProjectStore().project?.classes;
      const entries = projectClasses && projectClasses.length > 0 ? projectClasses : label.labels;
      return labelClasses(entries, label.max).map((c) => ({ ...c, color: this.colorOverrides[c.value] ?? c.color }));
    },
    hiddenSet(): Set<number> {
      return new Set(this.hidden);
    },
  },
  actions: {
    setVisible(value: number, visible: boolean): void {
      const rest = this.hidden.filter((v) => v !== value);
      this.hidden = visible ? rest : [...rest, value];
    },
    setColor(value: number, color: RGB): void {
      this.colorOverrides = { ...this.colorOverrides, [value]: color };
    },
    setOpacity(opacity: number): void {
      this.opacity = Math.min(1, Math.max(0, opacity));
    },
  },
});
