// vtk.js ships no typings for these modules; only what the renderer uses is declared.
declare module '@kitware/vtk.js/Filters/General/ImageMarchingCubes.js' {
  import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData.js';
  import type vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData.js';
  interface vtkImageMarchingCubes {
    setInputData(image: vtkImageData): void;
    getOutputData(): vtkPolyData;
    setContourValue(value: number): boolean;
    delete(): void;
  }
  const vtkImageMarchingCubes: {
    newInstance(initial?: { contourValue?: number; computeNormals?: boolean; mergePoints?: boolean }): vtkImageMarchingCubes;
  };
  export default vtkImageMarchingCubes;
}
declare module '@kitware/vtk.js/Rendering/Profiles/Volume';
declare module '@kitware/vtk.js/Rendering/Profiles/Geometry';
declare module '@kitware/vtk.js/Filters/General/ImageMarchingCubes/caseTable.js' {
  const caseTable: {
    getCase(index: number): number[];
    getEdge(edge: number): [number, number];
  };
  export default caseTable;
}
